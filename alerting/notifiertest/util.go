package notifiertest

import (
	"errors"
	"os"

	"github.com/langnghe/langnghe/alerting"
)

func writeFile(path, body string) error { return os.WriteFile(path, []byte(body), 0o644) }

func isPermanent(err error) bool { return errors.Is(err, alerting.ErrPermanent) }
