package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/email"
	"github.com/langnghe/langnghe/alerting/eshistory"
	"github.com/langnghe/langnghe/alerting/esstate"
	"github.com/langnghe/langnghe/alerting/outbox"
	"github.com/langnghe/langnghe/bus"
	alertmodels "github.com/langnghe/langnghe/models/alerts"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/web"
)

// SMTPConfig is the mail server alert emails go through; with no host they go to the
// outbox directory (<data_dir>/outbox) as .eml files instead.
type SMTPConfig struct {
	Host         string `yaml:"host" help:"máy chủ SMTP; trống = thư mục outbox / SMTP host; empty = outbox directory"`
	Port         int    `yaml:"port" help:"cổng SMTP (0 = 25, 587 với starttls, 465 với tls) / SMTP port"`
	Username     string `yaml:"username" help:"tên đăng nhập SMTP / SMTP user"`
	Password     Secret `yaml:"password" help:"mật khẩu SMTP (nên dùng tệp) / SMTP password (prefer the file)"`
	PasswordFile string `yaml:"password_file" help:"tệp mật khẩu SMTP / SMTP password file"`
	TLS          string `yaml:"tls" help:"none, starttls, opportunistic, tls"`
	From         string `yaml:"from" help:"địa chỉ gửi / From address"`
	CAFile       string `yaml:"ca_file" help:"chứng chỉ CA (PEM) của máy chủ SMTP / CA certificate file for the SMTP server"`
}

// AlertsConfig locates the rules and the links put in emails.
type AlertsConfig struct {
	RulesDir  string `yaml:"rules_dir" help:"thư mục luật cảnh báo; trống = luật mẫu / alert rules dir; empty = shipped samples"`
	WebURL    string `yaml:"web_url" help:"địa chỉ giao diện web trong email / web UI URL for email links"`
	KibanaURL string `yaml:"kibana_url" help:"địa chỉ Kibana trong email / Kibana URL for email links"`
}

func validateAlertConfig(c *Config) ConfigErrors {
	var errs ConfigErrors
	add := func(path, msg string) { errs = append(errs, ConfigError{Path: path, Msg: msg}) }
	switch c.SMTP.TLS {
	case "", email.TLSNone, email.TLSStartTLS, email.TLSOpportunistic, email.TLSImplicit:
	default:
		add("smtp.tls", fmt.Sprintf("phải là none, starttls, opportunistic hoặc tls / must be none, starttls, opportunistic or tls, got %q", c.SMTP.TLS))
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		add("smtp.port", "phải từ 0 đến 65535 / must be 0..65535")
	}
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		add("smtp.from", "cần khi có smtp.host / required with smtp.host")
	}
	for _, f := range []struct{ path, file string }{{"smtp.password_file", c.SMTP.PasswordFile}, {"smtp.ca_file", c.SMTP.CAFile}} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			add(f.path, fmt.Sprintf("không đọc được tệp / cannot read file %q", f.file))
		}
	}
	if c.Alerts.RulesDir != "" {
		if st, err := os.Stat(c.Alerts.RulesDir); err != nil || !st.IsDir() {
			add("alerts.rules_dir", fmt.Sprintf("không phải thư mục / not a directory: %q", c.Alerts.RulesDir))
		}
	}
	return errs
}

// loadAlertRules loads alerts.rules_dir, or the shipped samples. Files with errors are
// logged with file:line and skipped; the other rules run.
func (a *app) loadAlertRules() *alerting.RuleSet {
	var rs *alerting.RuleSet
	var errs []error
	if a.cfg.Alerts.RulesDir != "" {
		rs, errs = alerting.LoadDir(a.cfg.Alerts.RulesDir)
	} else {
		rs, errs = alerting.LoadFS(alertmodels.FS(), "models/alerts")
	}
	for _, err := range errs {
		a.log.Error("luật cảnh báo bị bỏ qua / alert rule file rejected", "err", err.Error())
	}
	a.log.Info("luật cảnh báo / alert rules", "rules", len(rs.Rules), "rejected_errors", len(errs))
	return rs
}

// alertNotifier is SMTP when smtp.host is set, else the outbox under the data dir.
func (a *app) alertNotifier() (alerting.Notifier, error) {
	c := a.cfg.SMTP
	if c.Host == "" {
		dir := filepath.Join(a.cfg.DataDir, "outbox")
		a.log.Info("không có SMTP: email cảnh báo ghi vào outbox / no SMTP: alert emails go to the outbox", "dir", dir)
		return outbox.New(dir, c.From), nil
	}
	pw, err := readSecret(c.Password, c.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("smtp.password_file: %w", err)
	}
	var ca []byte
	if c.CAFile != "" {
		if ca, err = os.ReadFile(c.CAFile); err != nil {
			return nil, fmt.Errorf("smtp.ca_file: %w", err)
		}
	}
	n, err := email.New(email.Config{Host: c.Host, Port: c.Port, Username: c.Username, Password: pw, TLS: c.TLS, From: c.From, CACert: ca})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	a.log.Info("SMTP", "addr", n.Addr(), "tls", c.TLS, "auth", c.Username != "")
	return n, nil
}

// alerting builds the engine (state in <data_dir>/alerts/state.json) and its consumer of
// posts.classified. It needs the bus and, for store rules, the store opened first.
func (a *app) alerting() (*alerting.Engine, *bus.Consumer, error) {
	n, err := a.alertNotifier()
	if err != nil {
		return nil, nil, err
	}
	webURL := a.cfg.Alerts.WebURL
	if webURL == "" {
		webURL = "http://" + a.cfg.HTTP.Listen
	}
	opts := []alerting.Option{
		alerting.WithLogger(a.log), alerting.WithMetrics(a.reg),
		alerting.WithLinks(alerting.Links{WebURL: webURL, KibanaURL: a.cfg.Alerts.KibanaURL, KibanaIndex: a.cfg.ES.IndexPrefix}),
	}
	if a.st != nil {
		opts = append(opts, alerting.WithStore(a.st))
	}
	if a.cfg.Alerts.RulesDir != "" {
		opts = append(opts, alerting.WithRulesDir(a.cfg.Alerts.RulesDir, 10*time.Second))
	}
	if esSt, ok := a.st.(*esstore.Store); ok {
		// With Elasticsearch, alert history goes to an index for Kibana and the alert state
		// to one versioned document (alerting/esstate), so no replica holds it alone; both
		// use the posts store's client, so the connection settings live in one place.
		// Neither may stop alerting while Elasticsearch is away: history records go
		// through a spool under the data dir (drained in order when it answers), and the
		// state falls back to a local file that is merged back afterwards. deg logs the
		// outage once and the recovery once.
		client := esSt.Client()
		deg := alerting.NewDegraded(a.log, a.reg)
		rec, err := eshistory.New(client, eshistory.IndexName(a.cfg.ES.IndexPrefix))
		if err != nil {
			return nil, nil, err
		}
		spool, err := alerting.OpenHistorySpool(filepath.Join(a.cfg.DataDir, "alerts", "history.spool"), rec,
			alerting.WithSpoolLogger(a.log), alerting.WithSpoolDegraded(deg), alerting.WithSpoolMetrics(a.reg))
		if err != nil {
			return nil, nil, err
		}
		remote := esstate.New(client, esstate.IndexName(a.cfg.ES.IndexPrefix)) // the file at statePath only seeds it
		local := filepath.Join(a.cfg.DataDir, "alerts", "state.pending.json")
		opts = append(opts, alerting.WithRecorder(spool), alerting.WithDegraded(deg),
			alerting.WithStateStore(alerting.NewFallbackStateStore(remote, local, 2*time.Second, deg)))
		a.log.Info("lịch sử cảnh báo trong Elasticsearch / alert history in Elasticsearch", "index", rec.Index(), "spool", filepath.Join(a.cfg.DataDir, "alerts", "history.spool"))
	}
	// Silences created on the /alerts page of this process: a file beside the state,
	// merged by the engine with the rule files' silences and kept across restarts.
	sf, err := alerting.OpenSilenceFile(filepath.Join(a.cfg.DataDir, "alerts", "silences.json"))
	if err != nil {
		return nil, nil, err
	}
	a.silences = sf
	opts = append(opts, alerting.WithSilences(sf))
	statePath := filepath.Join(a.cfg.DataDir, "alerts", "state.json")
	eng, err := alerting.NewEngine(a.loadAlertRules(), statePath, n, opts...)
	if err != nil {
		return nil, nil, err
	}
	return eng, a.consumer("alert", a.topic(bus.TopicClassified), eng.Process), nil
}

// alertServer is a.server (UI, search, export, triage) with the engine's alerts on
// /alerts and GET /api/alerts, and extra readiness checks. With the engine's silence
// file, admins create and remove silences on /alerts.
func (a *app) alertServer(eng *alerting.Engine, extra ...web.Check) *web.Server {
	opts := []web.Option{web.WithChecks(append(a.readiness(), extra...)...), web.WithAlerts(eng)}
	if a.silences != nil {
		opts = append(opts, web.WithSilences(a.silences, func() []string {
			var ids []string
			for _, r := range eng.Rules().Rules {
				ids = append(ids, r.ID)
			}
			return ids
		}))
	}
	return a.server(opts...)
}

// cmdAlert runs the alert role: match rules on posts.classified, store rules on a
// schedule, delivery to SMTP or the outbox. Run one replica: the state is a local file.
func cmdAlert(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("alert", env)
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	if err := a.lockDataDir(); err != nil { // alert state and outbox
		return err
	}
	ln, err := a.open(ctx, needs{bus: true, store: true, ui: true})
	if err != nil {
		return err
	}
	eng, consumer, err := a.alerting()
	if err != nil {
		return err
	}
	g := newTaskGroup()
	defer g.cancel()
	g.Go("alert", eng.Run)
	g.Go("alert-consume", consumer.Run)
	g.Go("lag", a.lagTask)
	g.Go("http", func(ctx context.Context) error {
		return serveHTTP(ctx, ln, a.guard(a.alertServer(eng).Handler()), a.cfg.HTTP)
	})
	a.log.Info("vai trò đang chạy / role running", "role", "alert", "http", ln.Addr().String(), "brokers", strings.Join(a.brokers, ","))
	return g.waitAndStop(ctx, a.log)
}

// cmdAlerts is `langnghe alerts check FILE...`: validate rule files, errors as file:line.
func cmdAlerts(_ context.Context, env *cliEnv, args []string) error {
	if len(args) < 2 || args[0] != "check" {
		return usageError{"cách dùng / usage: langnghe alerts check FILE..."}
	}
	files := yamlFiles(args[1:], env.stderr)
	if len(files) == 0 {
		return usageError{"không có tệp .yaml/.yml nào để kiểm tra / no .yaml or .yml file to check"}
	}
	rs, errs := alerting.LoadFiles(files...)
	for _, e := range errs {
		fmt.Fprintln(env.stderr, e.Error())
	}
	if len(errs) > 0 {
		return usageError{fmt.Sprintf("%d lỗi trong luật cảnh báo / errors in alert rules", len(errs))}
	}
	kinds := map[alerting.Kind]int{}
	for _, r := range rs.Rules {
		kinds[r.Kind]++
	}
	var parts []string
	for _, k := range []alerting.Kind{alerting.KindMatch, alerting.KindThreshold, alerting.KindSpike, alerting.KindDigest} {
		if kinds[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
		}
	}
	fmt.Fprintf(env.stdout, "%s: hợp lệ / valid: %d luật / rules (%s)\n", strings.Join(files, ", "), len(rs.Rules), strings.Join(parts, ", "))
	return nil
}

// yamlFiles keeps the .yaml and .yml files of args, so `alerts check rules/*` works on a
// directory that also holds other files; each one skipped gets a notice on stderr.
func yamlFiles(args []string, stderr io.Writer) []string {
	var out []string
	for _, f := range args {
		ext := strings.ToLower(filepath.Ext(f))
		st, err := os.Stat(f)
		if (ext == ".yaml" || ext == ".yml") && (err != nil || !st.IsDir()) {
			out = append(out, f) // a missing file is reported by the loader
			continue
		}
		fmt.Fprintf(stderr, "%s: bỏ qua, không phải tệp .yaml/.yml / skipped, not a .yaml or .yml file\n", f)
	}
	return out
}
