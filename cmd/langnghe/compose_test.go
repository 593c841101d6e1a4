package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// No Docker engine runs here, so the compose files are checked by loading them with the
// Compose specification's own loader (what `docker compose config` uses) and then for what
// a deployment relies on.

const repoRoot = "../.."

// composeEnv is .env.example with a placeholder for every value left empty, as a filled-in
// .env would be; the check that the file declares every variable the compose file uses is in
// TestComposeEnvExample.
func composeEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for name, v := range envExampleVars(t) {
		if v == "" {
			v = "placeholder-value-0123456789"
		}
		env = append(env, name+"="+v)
	}
	return env
}

func envExampleVars(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf(".env.example: %q is not NAME=value", line)
		}
		vars[k] = v
	}
	return vars
}

func loadCompose(t *testing.T, file string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, file)},
		cli.WithWorkingDirectory(repoRoot), cli.WithEnv(composeEnv(t)), cli.WithDiscardEnvFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	return p
}

// pinnedImage: a registry path with an explicit version tag; "latest" or no tag is not a pin.
var pinnedImage = regexp.MustCompile(`^[a-z0-9./_-]+:v?[0-9]+\.[0-9]+(\.[0-9]+)?[a-zA-Z0-9.-]*$`)

// envNotConfig are LANGNGHE_ variables read directly (not config keys).
var envNotConfig = map[string]bool{"LANGNGHE_CRAWL_SOURCES": true, "LANGNGHE_CONFIG": true}

func TestCompose(t *testing.T) {
	for _, file := range []string{"docker-compose.yml", "docker-compose.embedded.yml"} {
		t.Run(file, func(t *testing.T) { checkCompose(t, loadCompose(t, file)) })
	}
	p := loadCompose(t, "docker-compose.yml")
	roles := map[string]int{}
	for _, s := range p.Services {
		if s.Build != nil && len(s.Command) > 0 {
			roles[s.Command[0]] += s.GetScale()
		}
	}
	for _, want := range []string{"crawl", "index", "alert", "serve", "setup"} {
		if roles[want] < 1 {
			t.Errorf("no langnghe service runs %q", want)
		}
	}
	if roles["classify"] < 2 {
		t.Errorf("classify runs %d replicas, want at least 2 to show scale-out", roles["classify"])
	}
	for _, want := range []string{"kafka", "es01", "kibana", "prometheus", "grafana", "mailpit"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("no %s service", want)
		}
	}
}

func checkCompose(t *testing.T, p *types.Project) {
	commandNames := map[string]bool{}
	for _, c := range commands() {
		commandNames[c.name] = true
	}
	for name, s := range p.Services {
		if !pinnedImage.MatchString(s.Image) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
		oneShot := s.Restart == "no" || (s.HealthCheck != nil && s.HealthCheck.Disable)
		if !oneShot && (s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0) {
			t.Errorf("%s: no healthcheck", name)
		}
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
				continue
			}
			targetOneShot := target.Restart == "no" || (target.HealthCheck != nil && target.HealthCheck.Disable)
			switch {
			case d.Condition == types.ServiceConditionHealthy && target.HealthCheck != nil && !target.HealthCheck.Disable:
			case d.Condition == types.ServiceConditionCompletedSuccessfully && targetOneShot:
			default:
				t.Errorf("%s depends on %s with condition %q: want service_healthy on a service with a healthcheck (or completed_successfully on a one-shot)", name, dep, d.Condition)
			}
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q: publish on 127.0.0.1 only (a reverse proxy decides what is public)", name, port.Published, port.HostIP)
			}
		}
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("%s mounts volume %q, not declared under volumes:", name, v.Source)
				}
			case types.VolumeTypeBind:
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s binds %s, which is not in the repository: %v", name, v.Source, err)
				}
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := p.Secrets[sec.Source]; !ok {
				t.Errorf("%s uses secret %q, not declared under secrets:", name, sec.Source)
			}
		}
		if s.Build == nil {
			continue
		}
		// A langnghe service: a real command, config keys that exist and parse.
		if len(s.Command) == 0 || !commandNames[s.Command[0]] {
			t.Errorf("%s: command %q is not a langnghe command", name, s.Command)
		}
		cfg := defaultConfig()
		paths := envPaths()
		for k, v := range s.Environment {
			if !strings.HasPrefix(k, "LANGNGHE_") || envNotConfig[k] {
				continue
			}
			path, ok := paths[k]
			if !ok {
				t.Errorf("%s: %s is not a config key", name, k)
				continue
			}
			if v == nil {
				continue
			}
			if err := setPath(&cfg, path, *v); err != nil {
				t.Errorf("%s: %s=%q: %v", name, k, *v, err)
			}
		}
		if errs := validateConfig(&cfg); len(errs) > 0 {
			// Files named in the config exist only inside the containers.
			for _, e := range errs {
				if !strings.Contains(e.Msg, "không đọc được tệp") {
					t.Errorf("%s: config invalid: %v", name, e)
				}
			}
		}
	}
}

// secretKey names environment variables that hold secrets.
var secretKey = regexp.MustCompile(`(?i)(password|secret|token|_key)$`)

// TestComposeNoInlineSecrets reads the files as written (before interpolation): a secret
// variable may only be set from the environment (${VAR}) or point at a file.
func TestComposeNoInlineSecrets(t *testing.T) {
	line := regexp.MustCompile(`^\s*-?\s*([A-Za-z0-9_.]+)\s*[:=]\s*(.*)$`)
	for _, file := range []string{"docker-compose.yml", "docker-compose.embedded.yml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(data), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil || !secretKey.MatchString(m[1]) {
				continue
			}
			v := strings.Trim(strings.TrimSpace(m[2]), `"'`)
			if v != "" && !strings.HasPrefix(v, "${") {
				t.Errorf("%s:%d: %s is set inline (%q); take it from .env or a secret file", file, i+1, m[1], v)
			}
		}
	}
}

// TestComposeEnvExample: every variable the compose file interpolates is in .env.example
// (documented), and every secret there is left empty for the operator to fill.
func TestComposeEnvExample(t *testing.T) {
	vars := envExampleVars(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\$\{([A-Z0-9_]+)`).FindAllStringSubmatch(string(data), -1)
	var missing []string
	for _, u := range used {
		if _, ok := vars[u[1]]; !ok && !slices.Contains(missing, u[1]) {
			missing = append(missing, u[1])
		}
	}
	if len(missing) > 0 {
		t.Errorf(".env.example lacks %v", missing)
	}
	for k, v := range vars {
		if (secretKey.MatchString(k) || strings.HasSuffix(k, "_KEY")) && v != "" {
			t.Errorf(".env.example sets %s; secrets must be left empty", k)
		}
	}
}
