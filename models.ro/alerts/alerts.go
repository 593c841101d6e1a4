// Package alerts holds the sample alert rules shipped with Lắng Nghe, embedded so that
// `langnghe run` has working rules with no files beside it. Sites copy them into their own
// rules directory (config alerts.rules_dir) and change the recipients.
package alerts

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// FS returns the embedded rule files, rooted at this folder.
func FS() fs.FS { return files }
