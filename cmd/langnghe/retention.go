package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/langnghe/langnghe/indexer"
)

// cmdRetention applies the retention period (config key `retention`, default 90 days) to
// the configured store once, or with --dry-run lists what would be deleted. The index
// role (and run) applies it on its own every hour; this command is for operators.
func cmdRetention(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("retention", env)
	dry := rf.fs.Bool("dry-run", false, "chỉ liệt kê, không xóa / list what would be deleted, delete nothing")
	asJSON := rf.fs.Bool("json", false, "in JSON / print JSON")
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	if err := a.openStore(ctx); err != nil {
		return err
	}
	r := a.retention()
	cut := r.Cut()
	if *dry {
		plan, err := r.Plan(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(env.stdout).Encode(map[string]any{"before": cut, "delete": plan})
		}
		total := 0
		for _, it := range plan {
			fmt.Fprintf(env.stdout, "%s\t%d bài / posts\t(trước / before %s)\n", it.Name, it.Posts, it.Before.Format(time.RFC3339))
			total += it.Posts
		}
		fmt.Fprintf(env.stdout, "sẽ xóa %d bài đăng trước %s (thử, chưa xóa gì) / would delete %d posts published before %s (dry run, nothing deleted)\n",
			total, cut.Format(time.RFC3339), total, cut.Format(time.RFC3339))
		return nil
	}
	n, err := r.Once(ctx)
	if errors.Is(err, indexer.ErrNoRetention) {
		return usageError{err.Error()}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "đã xóa %d bài đăng trước %s / deleted %d posts published before %s\n", n, cut.Format(time.RFC3339), n, cut.Format(time.RFC3339))
	return nil
}

// retention is the store's retention schedule: the `retention` config key, hourly.
func (a *app) retention() *indexer.Retention {
	return indexer.NewRetention(a.st, time.Duration(a.cfg.Retention),
		indexer.WithRetentionLogger(a.log), indexer.WithRetentionMetrics(a.reg))
}
