package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// TestKubernetesManifests decodes deploy/k8s with client-go's scheme (the types the API
// server accepts; unknown fields fail) and checks what running the roles on a cluster
// relies on. No cluster runs here: the manifests are validated, not applied.
func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join(repoRoot, "deploy", "k8s")
	var kust struct {
		Resources []string `yaml:"resources"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &kust); err != nil {
		t.Fatal(err)
	}
	deployments := map[string]*appsv1.Deployment{}
	configMaps := map[string]*corev1.ConfigMap{}
	var pdbs []*policyv1.PodDisruptionBudget
	var hpas []*autoscalingv2.HorizontalPodAutoscaler
	var services []*corev1.Service
	decoder := scheme.Codecs.UniversalDeserializer()
	for _, res := range kust.Resources {
		data, err := os.ReadFile(filepath.Join(dir, res))
		if err != nil {
			t.Fatalf("kustomization lists %s: %v", res, err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			obj, _, err := decoder.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s document %d: %v", res, i+1, err)
			}
			if strict := strictDecode(doc, obj); strict != nil {
				t.Errorf("%s document %d: %v", res, i+1, strict)
			}
			switch o := obj.(type) {
			case *appsv1.Deployment:
				deployments[o.Name] = o
			case *corev1.ConfigMap:
				configMaps[o.Name] = o
			case *policyv1.PodDisruptionBudget:
				pdbs = append(pdbs, o)
			case *autoscalingv2.HorizontalPodAutoscaler:
				hpas = append(hpas, o)
			case *corev1.Service:
				services = append(services, o)
			default:
				t.Errorf("%s document %d: unexpected kind %T", res, i+1, obj)
			}
		}
	}
	commandNames := map[string]bool{}
	for _, c := range commands() {
		commandNames[c.name] = true
	}
	paths := envPaths()
	checkEnv := func(where, k, v string) {
		if !strings.HasPrefix(k, "LANGNGHE_") || envNotConfig[k] {
			return
		}
		path, ok := paths[k]
		if !ok {
			t.Errorf("%s: %s is not a config key", where, k)
			return
		}
		cfg := defaultConfig()
		if err := setPath(&cfg, path, v); err != nil {
			t.Errorf("%s: %s=%q: %v", where, k, v, err)
		}
	}
	for _, cm := range configMaps {
		for k, v := range cm.Data {
			checkEnv("ConfigMap "+cm.Name, k, v)
		}
	}
	roles := map[string]bool{}
	for name, d := range deployments {
		sel, err := metav1LabelSelector(d)
		if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("%s: selector does not match its pod template (%v)", name, err)
		}
		pod := d.Spec.Template.Spec
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: pods must run as non-root", name)
		}
		for _, c := range pod.Containers {
			where := name + "/" + c.Name
			if !pinnedImage.MatchString(c.Image) {
				t.Errorf("%s: image %q is not pinned", where, c.Image)
			}
			if len(c.Args) == 0 || !commandNames[c.Args[0]] {
				t.Errorf("%s: args %q do not start with a langnghe command", where, c.Args)
			} else {
				roles[c.Args[0]] = true
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: needs cpu and memory requests and a memory limit", where)
			}
			if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
				t.Errorf("%s: readiness probe must GET /readyz", where)
			}
			if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
				t.Errorf("%s: liveness probe must GET /healthz", where)
			}
			for _, e := range c.Env {
				checkEnv(where, e.Name, e.Value)
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && configMaps[ef.ConfigMapRef.Name] == nil {
					t.Errorf("%s: envFrom ConfigMap %q is not in the manifests", where, ef.ConfigMapRef.Name)
				}
			}
			mounts := map[string]bool{}
			for _, m := range c.VolumeMounts {
				mounts[m.Name] = true
			}
			for _, v := range pod.Volumes {
				if !mounts[v.Name] {
					t.Errorf("%s: volume %s is not mounted", where, v.Name)
				}
				if v.ConfigMap != nil && configMaps[v.ConfigMap.Name] == nil {
					t.Errorf("%s: volume %s names ConfigMap %q, not in the manifests", where, v.Name, v.ConfigMap.Name)
				}
			}
		}
	}
	for _, want := range []string{"crawl", "classify", "index", "alert", "serve"} {
		if !roles[want] {
			t.Errorf("no Deployment runs %q", want)
		}
	}
	selects := func(sel map[string]string) []string {
		var out []string
		for name, d := range deployments {
			if labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels)) {
				out = append(out, name)
			}
		}
		return out
	}
	covered := map[string]bool{}
	for _, p := range pdbs {
		got := selects(p.Spec.Selector.MatchLabels)
		if len(got) != 1 {
			t.Errorf("PDB %s selects %v, want exactly one Deployment", p.Name, got)
		}
		for _, g := range got {
			covered[g] = true
			if d := deployments[g]; d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("PDB %s on %s, which runs fewer than 2 replicas: drains would block", p.Name, g)
			}
		}
	}
	scaled := map[string]bool{}
	for _, h := range hpas {
		d, ok := deployments[h.Spec.ScaleTargetRef.Name]
		if !ok || h.Spec.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("HPA %s targets %s %s, not a Deployment here", h.Name, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
			continue
		}
		scaled[d.Name] = true
		lagged := false
		for _, m := range h.Spec.Metrics {
			if m.External != nil && m.External.Metric.Name == "langnghe_bus_consumer_lag" {
				lagged = true
				g := m.External.Metric.Selector.MatchLabels["group"]
				if role := d.Spec.Template.Labels["app.kubernetes.io/component"]; g != "langnghe-"+role {
					t.Errorf("HPA %s scales %s on the lag of group %q", h.Name, d.Name, g)
				}
			}
		}
		if !lagged {
			t.Errorf("HPA %s does not scale on consumer lag", h.Name)
		}
	}
	for _, role := range []string{"classify", "index"} {
		if !scaled["langnghe-"+role] || !covered["langnghe-"+role] {
			t.Errorf("%s needs an HPA on consumer lag and a PodDisruptionBudget", role)
		}
	}
	for _, s := range services {
		if len(selects(s.Spec.Selector)) == 0 {
			t.Errorf("Service %s selects no pods", s.Name)
		}
	}
}

func metav1LabelSelector(d *appsv1.Deployment) (labels.Selector, error) {
	if d.Spec.Selector == nil {
		return labels.Nothing(), nil
	}
	return labels.SelectorFromSet(d.Spec.Selector.MatchLabels), nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// strictDecode catches misspelt fields, which the universal deserializer drops silently.
func strictDecode(doc string, obj runtime.Object) error {
	strict := scheme.Codecs.WithoutConversion()
	info, ok := runtime.SerializerInfoForMediaType(strict.SupportedMediaTypes(), runtime.ContentTypeYAML)
	if !ok || info.StrictSerializer == nil {
		return nil
	}
	_, _, err := info.StrictSerializer.Decode([]byte(doc), nil, nil)
	return err
}
