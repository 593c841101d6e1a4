package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// cmdSetup is the one-shot `setup` of a deployment: it creates the Kafka topics, installs
// the Elasticsearch index template (both are what every role does at start-up, done once
// here so the roles start against a ready cluster) and, with --kibana-url, imports the
// Kibana saved objects (deploy/kibana/*.ndjson: data views, searches, dashboards).
func cmdSetup(ctx context.Context, env *cliEnv, args []string) error {
	rf := newRoleFlags("setup", env)
	kURL := rf.fs.String("kibana-url", "", "địa chỉ Kibana để nhập đối tượng / Kibana URL to import saved objects into")
	kDir := rf.fs.String("kibana-objects", "deploy/kibana", "thư mục các tệp .ndjson / directory of .ndjson saved objects")
	kUser := rf.fs.String("kibana-username", "", "người dùng Kibana (mặc định es.username) / Kibana user (default es.username)")
	kPassFile := rf.fs.String("kibana-password-file", "", "tệp mật khẩu Kibana (mặc định mật khẩu ES) / Kibana password file (default the ES password)")
	cfg, err := rf.parse(args, env)
	if err != nil {
		return err
	}
	if len(cfg.Kafka.Brokers) == 0 || len(cfg.ES.URL) == 0 {
		return usageError{"setup cần kafka.brokers và es.url / setup needs kafka.brokers and es.url"}
	}
	a := newApp(cfg, env.stderr)
	defer a.close()
	if err := a.startBus(ctx, false); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Kafka: topic sẵn sàng / topics ready (%s)\n", strings.Join(a.brokers, ","))
	if err := a.openStore(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Elasticsearch: index template %s sẵn sàng / ready\n", cfg.ES.IndexPrefix)
	if *kURL == "" {
		return nil
	}
	user := *kUser
	if user == "" {
		user = cfg.ES.Username
	}
	pass, err := readSecret(cfg.ES.Password, cfg.ES.PasswordFile)
	if *kPassFile != "" {
		pass, err = readSecret("", *kPassFile)
	}
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(*kDir, "*.ndjson"))
	if err != nil || len(files) == 0 {
		return usageError{fmt.Sprintf("không có tệp .ndjson trong / no .ndjson files in %s", *kDir)}
	}
	sort.Strings(files)
	k := kibanaClient{base: strings.TrimRight(*kURL, "/"), user: user, pass: pass, http: &http.Client{Timeout: 30 * time.Second}}
	if cfg.ES.CAFile != "" && strings.HasPrefix(*kURL, "https://") {
		if k.http, err = clientWithCA(cfg.ES.CAFile); err != nil {
			return err
		}
	}
	for _, f := range files {
		n, err := k.importObjects(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Kibana: %s: %d đối tượng / objects\n", filepath.Base(f), n)
	}
	return nil
}

func clientWithCA(file string) (*http.Client, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("es.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("es.ca_file %s: no PEM certificate", file)
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

type kibanaClient struct {
	base, user, pass string
	http             *http.Client
}

// importObjects POSTs one .ndjson file to Kibana's saved objects import API, overwriting
// objects with the same ids, so running setup again updates them.
func (k kibanaClient) importObjects(ctx context.Context, file string) (int, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", filepath.Base(file))
	if err != nil {
		return 0, err
	}
	part.Write(data)
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.base+"/api/saved_objects/_import?overwrite=true", &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("kbn-xsrf", "langnghe-setup") // Kibana refuses writes without it
	if k.user != "" {
		req.SetBasicAuth(k.user, k.pass)
	}
	resp, err := k.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("importing into Kibana %s: %w", filepath.Base(file), err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var res struct {
		Success      bool `json:"success"`
		SuccessCount int  `json:"successCount"`
		Errors       []struct {
			ID    string `json:"id"`
			Type  string `json:"type"`
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		} `json:"errors"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("importing into Kibana %s: %s: %s", filepath.Base(file), resp.Status, oneLine(string(raw)))
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return 0, fmt.Errorf("importing into Kibana %s: %w", filepath.Base(file), err)
	}
	if !res.Success {
		var msgs []string
		for _, e := range res.Errors {
			msgs = append(msgs, e.Type+"/"+e.ID+": "+e.Error.Type)
		}
		return res.SuccessCount, fmt.Errorf("importing into Kibana %s: %s", filepath.Base(file), strings.Join(msgs, "; "))
	}
	return res.SuccessCount, nil
}
