package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"
)

// dirSignature names, sizes and modification times of the rule files in dir.
func dirSignature(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	var parts []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s:%d:%d", name, info.Size(), info.ModTime().UnixNano()))
	}
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

// WatchDir reloads the rules of dir into e whenever a rule file changes (checked every
// interval), until ctx ends. As at start-up, a file with errors is rejected and logged
// with file:line, and the rules of the other files keep running. Pending groups of rules
// that disappear are dropped at the next Tick.
func WatchDir(ctx context.Context, dir string, interval time.Duration, e *Engine, log *slog.Logger) {
	// The first check always reloads: files may have changed between the caller's load
	// and this goroutine's start. Reloading unchanged rules keeps pending groups (they are
	// keyed by rule id).
	sig := ""
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := dirSignature(dir)
		if now == sig {
			continue
		}
		sig = now
		rs, errs := LoadDir(dir)
		for _, err := range errs {
			log.Error("luật cảnh báo bị bỏ qua / alert rule file rejected", "err", err.Error())
		}
		e.SetRules(rs)
		log.Info("đã nạp lại luật cảnh báo / alert rules reloaded", "rules", len(rs.Rules), "errors", len(errs))
	}
}
