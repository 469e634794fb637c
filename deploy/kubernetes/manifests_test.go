package kubernetes

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// appPoolConns is the PostgreSQL pool of one app pod (store.Options.MaxConns
// defaults to 16, and `agora app` has no flag for it).
const appPoolConns = 16

// cnpgCluster is the part of CloudNativePG's Cluster (postgresql.cnpg.io/v1)
// these manifests use, field for field as its API reference documents them.
// The operator's Go module is not available here; decoding strictly into
// this struct still fails on a misspelled or misplaced field, and a field
// added to the manifest must be added here on purpose, after reading the
// reference.
type cnpgCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Instances             int    `json:"instances"`
		ImageName             string `json:"imageName,omitempty"`
		PrimaryUpdateStrategy string `json:"primaryUpdateStrategy,omitempty"` // unsupervised | supervised
		Bootstrap             *struct {
			InitDB *struct {
				Database string `json:"database"`
				Owner    string `json:"owner"`
			} `json:"initdb,omitempty"`
		} `json:"bootstrap,omitempty"`
		PostgreSQL *struct {
			Parameters  map[string]string `json:"parameters,omitempty"`
			Synchronous *struct {
				Method         string `json:"method"` // any | first
				Number         int    `json:"number"`
				DataDurability string `json:"dataDurability,omitempty"` // required | preferred
			} `json:"synchronous,omitempty"`
		} `json:"postgresql,omitempty"`
		Storage struct {
			Size         string  `json:"size"`
			StorageClass *string `json:"storageClass,omitempty"`
		} `json:"storage"`
		Resources corev1.ResourceRequirements `json:"resources,omitempty"`
		Affinity  *struct {
			EnablePodAntiAffinity *bool  `json:"enablePodAntiAffinity,omitempty"`
			TopologyKey           string `json:"topologyKey,omitempty"`
			PodAntiAffinityType   string `json:"podAntiAffinityType,omitempty"` // preferred | required
		} `json:"affinity,omitempty"`
	} `json:"spec"`
}

// cnpgAppSecretKeys are the keys of the Secret CloudNativePG writes for a
// Cluster's application owner, named CLUSTER-app.
var cnpgAppSecretKeys = []string{"username", "password", "host", "port", "dbname", "uri", "jdbc-uri", "pgpass"}

// overlay is one built overlay, every object decoded into its API type.
type overlay struct {
	name       string
	namespaces map[string]*corev1.Namespace
	deploys    map[string]*appsv1.Deployment
	jobs       map[string]*batchv1.Job
	services   map[string]*corev1.Service
	secrets    map[string]*corev1.Secret
	configMaps map[string]*corev1.ConfigMap
	hpas       map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs       map[string]*policyv1.PodDisruptionBudget
	netpols    map[string]*networkingv1.NetworkPolicy
	clusters   map[string]*cnpgCluster
	objects    []metav1.Object // all of the above
}

// decodeInto decodes one object strictly (an unknown or duplicate field is
// an error) into a new T and files it in m under its name.
func decodeInto[T any, PT interface {
	*T
	metav1.Object
}](o *overlay, m map[string]PT, y []byte) error {
	obj := PT(new(T))
	if err := yaml.UnmarshalStrict(y, obj); err != nil {
		return err
	}
	if _, dup := m[obj.GetName()]; dup {
		return fmt.Errorf("two objects named %s", obj.GetName())
	}
	m[obj.GetName()] = obj
	o.objects = append(o.objects, obj)
	return nil
}

// buildOverlay runs kustomize on overlays/name, as `kubectl apply -k` would.
func buildOverlay(t *testing.T, name string) *overlay {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join("overlays", name))
	if err != nil {
		t.Fatalf("kustomize build overlays/%s: %v", name, err)
	}
	o := &overlay{
		name:       name,
		namespaces: map[string]*corev1.Namespace{},
		deploys:    map[string]*appsv1.Deployment{},
		jobs:       map[string]*batchv1.Job{},
		services:   map[string]*corev1.Service{},
		secrets:    map[string]*corev1.Secret{},
		configMaps: map[string]*corev1.ConfigMap{},
		hpas:       map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs:       map[string]*policyv1.PodDisruptionBudget{},
		netpols:    map[string]*networkingv1.NetworkPolicy{},
		clusters:   map[string]*cnpgCluster{},
	}
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		gvk := r.GetGvk()
		kind := gvk.ApiVersion() + " " + gvk.Kind
		switch kind {
		case "v1 Namespace":
			err = decodeInto(o, o.namespaces, y)
		case "apps/v1 Deployment":
			err = decodeInto(o, o.deploys, y)
		case "batch/v1 Job":
			err = decodeInto(o, o.jobs, y)
		case "v1 Service":
			err = decodeInto(o, o.services, y)
		case "v1 Secret":
			err = decodeInto(o, o.secrets, y)
		case "v1 ConfigMap":
			err = decodeInto(o, o.configMaps, y)
		case "autoscaling/v2 HorizontalPodAutoscaler":
			err = decodeInto(o, o.hpas, y)
		case "policy/v1 PodDisruptionBudget":
			err = decodeInto(o, o.pdbs, y)
		case "networking.k8s.io/v1 NetworkPolicy":
			err = decodeInto(o, o.netpols, y)
		case "postgresql.cnpg.io/v1 Cluster":
			err = decodeInto(o, o.clusters, y)
		default:
			// A kind no case decodes would escape the strict check.
			err = fmt.Errorf("no decoder for %s: add one to buildOverlay", kind)
		}
		if err != nil {
			t.Errorf("overlays/%s: %s %s: %v\n%s", name, kind, r.GetName(), err, y)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return o
}

// overlays are the directories under overlays/; each must build.
func overlays(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("overlays")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	for _, want := range []string{"dev", "production"} {
		if !slices.Contains(names, want) {
			t.Fatalf("overlays/%s is missing (have %v)", want, names)
		}
	}
	return names
}

// TestOverlays builds every overlay and checks that its objects agree with
// one another and with the agora binary's command line.
func TestOverlays(t *testing.T) {
	for _, name := range overlays(t) {
		t.Run(name, func(t *testing.T) {
			o := buildOverlay(t, name)
			checks := []struct {
				name  string
				check func(*testing.T, *overlay)
			}{
				{"namespace", checkNamespace},
				{"service selectors and ports", checkServices},
				{"app service is headless and publishes unready pods", checkAppService},
				{"edge backends name the app service", checkEdgeBackends},
				{"probes hit the routes of their listener", checkProbes},
				{"drain fits the grace period", checkDrain},
				{"pod disruption budgets", checkPDBs},
				{"autoscaler", checkHPAs},
				{"network policy", checkNetworkPolicies},
				{"referenced secrets and config maps exist", checkReferences},
				{"migration job", checkMigrateJob},
				{"edge memory holds its cache", checkEdgeMemory},
				{"security context", checkSecurity},
				{"postgres cluster", checkClusters},
			}
			for _, c := range checks {
				t.Run(c.name, func(t *testing.T) { c.check(t, o) })
			}
		})
	}
}

// TestProductionShape pins what makes production highly available, so an
// edit of the production overlay cannot quietly drop it.
func TestProductionShape(t *testing.T) {
	o := buildOverlay(t, "production")
	if d := o.deploys["agora-edge"]; d == nil || d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Error("production: fewer than 2 edges")
	}
	h := o.hpas["agora-app"]
	if h == nil {
		t.Fatal("production: no HorizontalPodAutoscaler for agora-app")
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
		t.Error("production: the HPA may shrink the app tier below 2 pods")
	}
	var c *cnpgCluster
	for _, c = range o.clusters {
	}
	if len(o.clusters) != 1 || c.Spec.Instances != 3 {
		t.Errorf("production: want one CloudNativePG Cluster of 3 instances, have %d clusters", len(o.clusters))
	}
	_, app := appContainer(t, o, "app")
	if media := envFromConfigMap(o, app.c, "AGORA_MEDIA"); !strings.HasPrefix(media, "s3://") {
		t.Errorf("production: media at %q, not in an S3 bucket", media)
	}
}

// --- the agora binary's command line ---------------------------------------

// agoraContainer is a container that runs the agora binary: its args start
// with a command (app, edge, migrate) followed by --name=value flags.
type agoraContainer struct {
	c     *corev1.Container
	role  string            // "app", "edge", "migrate"
	flags map[string]string // without the leading dashes
}

// agoraContainers returns the containers of spec that run agora. Flags must
// be spelled --name=value, one per argument, so this test reads them as
// agora does; $(VAR) references to the container's env are expanded as
// the kubelet would, with fieldRef metadata.namespace as namespace.
func agoraContainers(t *testing.T, spec *corev1.PodSpec, namespace string) []agoraContainer {
	t.Helper()
	var out []agoraContainer
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if !isAgoraImage(c.Image) {
			continue
		}
		if len(c.Command) > 0 {
			t.Errorf("container %s: command %v replaces the image's entrypoint (agora); give only args", c.Name, c.Command)
		}
		if len(c.Args) == 0 {
			t.Errorf("container %s: no command in args", c.Name)
			continue
		}
		ac := agoraContainer{c: c, role: c.Args[0], flags: map[string]string{}}
		for _, a := range c.Args[1:] {
			name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			if !strings.HasPrefix(a, "--") || !ok {
				t.Errorf("container %s: argument %q: spell flags --name=value", c.Name, a)
				continue
			}
			ac.flags[name] = expandEnv(t, c, value, namespace)
		}
		out = append(out, ac)
	}
	return out
}

func isAgoraImage(image string) bool {
	name, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return name == "agora" || strings.HasSuffix(name, "/agora")
}

// expandEnv expands $(NAME) as Kubernetes does in args. A reference to a
// variable that does not exist would be left as is by the kubelet and
// reach agora literally, so it fails the test.
func expandEnv(t *testing.T, c *corev1.Container, s, namespace string) string {
	t.Helper()
	for {
		i := strings.Index(s, "$(")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], ")")
		if j < 0 {
			t.Errorf("container %s: unterminated $( in %q", c.Name, s)
			return s
		}
		name := s[i+2 : i+j]
		var value string
		found := false
		for _, e := range c.Env {
			if e.Name != name {
				continue
			}
			found = true
			switch {
			case e.ValueFrom == nil:
				value = e.Value
			case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
				value = namespace
			default:
				t.Errorf("container %s: $(%s) comes from a source this test cannot expand", c.Name, name)
			}
		}
		if !found {
			t.Errorf("container %s: args refer to $(%s), which is not in its env", c.Name, name)
		}
		s = s[:i] + value + s[i+j+1:]
	}
}

// envValue is the literal value of an env variable, else "".
func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value
		}
	}
	return ""
}

// setting is a flag's value from args, else from its AGORA_* variable,
// else def: the order in which agora reads them.
func (ac agoraContainer) setting(name, def string) string {
	if v, ok := ac.flags[name]; ok {
		return v
	}
	if v := envValue(ac.c, "AGORA_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
		return v
	}
	return def
}

func (ac agoraContainer) duration(t *testing.T, name, def string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(ac.setting(name, def))
	if err != nil {
		t.Errorf("container %s: --%s: %v", ac.c.Name, name, err)
	}
	return d
}

// listenPort is the port of a host:port flag, or 0 when it is unset.
func (ac agoraContainer) listenPort(t *testing.T, name string) int32 {
	t.Helper()
	v, ok := ac.flags[name]
	if !ok {
		return 0
	}
	_, p, found := strings.Cut(v, ":")
	port, err := strconv.ParseInt(p, 10, 32)
	if !found || err != nil || port <= 0 {
		t.Errorf("container %s: --%s=%s: want host:port with a fixed port", ac.c.Name, name, v)
	}
	return int32(port)
}

// listeners lists, per command, the flags that open a listener and the
// routes served on it that a probe or Prometheus may use
// (internal/app/routes.go and run.go, internal/edge/admin.go; probes_test.go
// checks them against the running binary).
var listeners = map[string]map[string][]string{
	"app":  {"listen": {"/healthz", "/readyz"}, "metrics-listen": {"/metrics"}},
	"edge": {"listen": nil, "admin-listen": {"/_agora/status", "/metrics"}},
}

// containerPort resolves a probe's or Service's port (name or number) to
// the container port it means, or 0.
func containerPort(c *corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if p.Type == intstr.String && cp.Name == p.StrVal || p.Type == intstr.Int && cp.ContainerPort == p.IntVal {
			return cp.ContainerPort
		}
	}
	return 0
}

// --- the checks ------------------------------------------------------------

// namespaceOf is the one namespace every object of the overlay is in.
func namespaceOf(t *testing.T, o *overlay) string {
	t.Helper()
	if len(o.namespaces) != 1 {
		t.Fatalf("want the overlay to create its one Namespace, have %d", len(o.namespaces))
	}
	for name := range o.namespaces {
		return name
	}
	return ""
}

func checkNamespace(t *testing.T, o *overlay) {
	ns := namespaceOf(t, o)
	for _, obj := range o.objects {
		if _, isNS := obj.(*corev1.Namespace); !isNS && obj.GetNamespace() != ns {
			t.Errorf("%s is in namespace %q, not %q", obj.GetName(), obj.GetNamespace(), ns)
		}
	}
	if o.namespaces[ns].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace %s does not enforce the restricted Pod Security Standard", ns)
	}
}

// podsSelectedBy returns the Deployments whose pods the selector matches.
func podsSelectedBy(o *overlay, sel labels.Selector) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, name := range sortedKeys(o.deploys) {
		d := o.deploys[name]
		if !sel.Empty() && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

func selectorOf(t *testing.T, ls *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func checkServices(t *testing.T, o *overlay) {
	for name, d := range o.deploys {
		sel := selectorOf(t, d.Spec.Selector)
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("deployment %s: its selector does not match its own pod labels", name)
		}
	}
	for name, s := range o.services {
		pods := podsSelectedBy(o, labels.SelectorFromSet(s.Spec.Selector))
		if len(pods) != 1 {
			t.Errorf("service %s selects the pods of %d deployments, want 1", name, len(pods))
			continue
		}
		for _, p := range s.Spec.Ports {
			found := false
			for i := range pods[0].Spec.Template.Spec.Containers {
				if containerPort(&pods[0].Spec.Template.Spec.Containers[i], p.TargetPort) != 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("service %s: port %s targets %s, which no container of %s declares", name, p.Name, p.TargetPort.String(), pods[0].Name)
			}
		}
	}
}

func checkAppService(t *testing.T, o *overlay) {
	s := o.services["agora-app"]
	if s == nil {
		t.Fatal("no service agora-app")
	}
	if s.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Error("service agora-app is not headless: the edge must see every pod's address to balance over them")
	}
	// DESIGN decision (see app-service.yaml): a database blip must not
	// empty the edge's view of the pool.
	if !s.Spec.PublishNotReadyAddresses {
		t.Error("service agora-app does not publish unready addresses: one database blip would empty the edge's pool")
	}
}

// appContainer is the one container running `agora app` in the overlay.
func appContainer(t *testing.T, o *overlay, role string) (*appsv1.Deployment, agoraContainer) {
	t.Helper()
	ns := namespaceOf(t, o)
	for _, name := range sortedKeys(o.deploys) {
		d := o.deploys[name]
		for _, ac := range agoraContainers(t, &d.Spec.Template.Spec, ns) {
			if ac.role == role {
				return d, ac
			}
		}
	}
	t.Fatalf("no deployment runs agora %s", role)
	return nil, agoraContainer{}
}

func checkEdgeBackends(t *testing.T, o *overlay) {
	ns := namespaceOf(t, o)
	appDeploy, app := appContainer(t, o, "app")
	_, edge := appContainer(t, o, "edge")
	raw := edge.flags["backends"]
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "dns" || u.Port() == "" {
		t.Fatalf("edge --backends=%s: want dns://SERVICE.NAMESPACE.svc.cluster.local:PORT", raw)
	}
	svcName, rest, _ := strings.Cut(u.Hostname(), ".")
	if rest != ns+".svc.cluster.local" {
		t.Errorf("edge --backends host %s is not a service of namespace %s", u.Hostname(), ns)
	}
	s := o.services[svcName]
	if s == nil {
		t.Fatalf("edge --backends names service %s, which the overlay does not have", svcName)
	}
	if s.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("edge --backends names service %s, which is not headless", svcName)
	}
	if pods := podsSelectedBy(o, labels.SelectorFromSet(s.Spec.Selector)); len(pods) != 1 || pods[0] != appDeploy {
		t.Errorf("edge --backends names service %s, which does not select the app pods", svcName)
	}
	// A headless name resolves to pod addresses: the port is the app's own.
	if port := app.listenPort(t, "listen"); u.Port() != strconv.Itoa(int(port)) {
		t.Errorf("edge --backends port %s, app --listen port %d", u.Port(), port)
	}
}

func checkProbes(t *testing.T, o *overlay) {
	ns := namespaceOf(t, o)
	for _, name := range sortedKeys(o.deploys) {
		d := o.deploys[name]
		for _, ac := range agoraContainers(t, &d.Spec.Template.Spec, ns) {
			routes, ok := listeners[ac.role]
			if !ok {
				t.Errorf("deployment %s runs agora %s, which serves nothing", name, ac.role)
				continue
			}
			// Every listener on a fixed port is a declared container port,
			// and every container port is a listener.
			byPort := map[int32]string{}
			for flag := range routes {
				if p := ac.listenPort(t, flag); p != 0 {
					byPort[p] = flag
					if containerPort(ac.c, intstr.FromInt32(p)) == 0 {
						t.Errorf("%s: --%s listens on %d, which is not a containerPort", name, flag, p)
					}
				}
			}
			for _, cp := range ac.c.Ports {
				if _, ok := byPort[cp.ContainerPort]; !ok {
					t.Errorf("%s: containerPort %s (%d) matches no listener flag", name, cp.Name, cp.ContainerPort)
				}
			}
			probes := map[string]*corev1.Probe{"startup": ac.c.StartupProbe, "liveness": ac.c.LivenessProbe, "readiness": ac.c.ReadinessProbe}
			for kind, p := range probes {
				if p == nil || p.HTTPGet == nil {
					t.Errorf("%s: no HTTP %s probe", name, kind)
					continue
				}
				port := containerPort(ac.c, p.HTTPGet.Port)
				flag, ok := byPort[port]
				if !ok {
					t.Errorf("%s: %s probe on port %s, where agora %s does not listen", name, kind, p.HTTPGet.Port.String(), ac.role)
					continue
				}
				if !slices.Contains(routes[flag], p.HTTPGet.Path) {
					t.Errorf("%s: %s probe GET %s on --%s, which serves %v", name, kind, p.HTTPGet.Path, flag, routes[flag])
				}
			}
			// /readyz fails when the database does: as a liveness probe it
			// would restart every pod on one database outage.
			if p := ac.c.LivenessProbe; p != nil && p.HTTPGet != nil && p.HTTPGet.Path == "/readyz" {
				t.Errorf("%s: liveness on /readyz restarts every pod when the database is down", name)
			}
		}
	}
}

// Edge defaults (agora edge --help) the app's drain must outlast.
const (
	defHealthInterval = "2s"
	defHealthTimeout  = "1s"
	defFall           = "3"
	defDrainDelay     = "5s"
	defShutdown       = "20s"
)

func checkDrain(t *testing.T, o *overlay) {
	appDeploy, app := appContainer(t, o, "app")
	edgeDeploy, edge := appContainer(t, o, "edge")

	// The edge must see /readyz fail --fall times before the app stops
	// serving: each check may take up to --health-timeout, and the interval
	// is jittered, so allow one more interval.
	fall, err := strconv.Atoi(edge.setting("fall", defFall))
	if err != nil {
		t.Fatal(err)
	}
	interval := edge.duration(t, "health-interval", defHealthInterval)
	timeout := edge.duration(t, "health-timeout", defHealthTimeout)
	detect := time.Duration(fall+1)*interval + timeout
	drain := app.duration(t, "drain-delay", defDrainDelay)
	if drain < detect {
		t.Errorf("app --drain-delay=%v: the edge may need %v to stop sending ((fall+1) × interval + timeout)", drain, detect)
	}
	if app.c.Lifecycle != nil && app.c.Lifecycle.PreStop != nil {
		t.Error("app: a preStop hook delays SIGTERM, and with it the drain; the app drains on SIGTERM itself")
	}
	grace := func(d *appsv1.Deployment) time.Duration {
		if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
			return time.Duration(*g) * time.Second
		}
		return 30 * time.Second
	}
	if need := drain + app.duration(t, "shutdown-timeout", defShutdown); grace(appDeploy) < need {
		t.Errorf("app: terminationGracePeriodSeconds %v < --drain-delay + --shutdown-timeout = %v", grace(appDeploy), need)
	}
	var sleep time.Duration
	if l := edge.c.Lifecycle; l == nil || l.PreStop == nil || l.PreStop.Sleep == nil {
		t.Error("edge: no preStop sleep: it would stop accepting while the load balancer still sends to it")
	} else {
		sleep = time.Duration(l.PreStop.Sleep.Seconds) * time.Second
	}
	if need := sleep + edge.duration(t, "shutdown-timeout", defShutdown); grace(edgeDeploy) < need {
		t.Errorf("edge: terminationGracePeriodSeconds %v < preStop + --shutdown-timeout = %v", grace(edgeDeploy), need)
	}
}

func checkPDBs(t *testing.T, o *overlay) {
	for _, want := range []string{"agora-app", "agora-edge"} {
		found := false
		for name, p := range o.pdbs {
			pods := podsSelectedBy(o, selectorOf(t, p.Spec.Selector))
			if len(pods) != 1 {
				t.Errorf("pdb %s selects the pods of %d deployments, want 1", name, len(pods))
				continue
			}
			if pods[0].Name == want {
				found = true
			}
			if p.Spec.MinAvailable != nil {
				t.Errorf("pdb %s: minAvailable blocks every drain when the deployment runs that few pods; use maxUnavailable", name)
			}
		}
		if !found {
			t.Errorf("no PodDisruptionBudget covers %s", want)
		}
	}
}

func checkHPAs(t *testing.T, o *overlay) {
	for name, h := range o.hpas {
		ref := h.Spec.ScaleTargetRef
		d := o.deploys[ref.Name]
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || d == nil {
			t.Errorf("hpa %s scales %s %s %s, not a deployment of the overlay", name, ref.APIVersion, ref.Kind, ref.Name)
			continue
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			t.Errorf("hpa %s: minReplicas unset or above maxReplicas", name)
		}
		for _, m := range h.Spec.Metrics {
			switch {
			case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource.Name == corev1.ResourceCPU:
				// Utilization is a share of the request: none, no scaling.
				for _, c := range d.Spec.Template.Spec.Containers {
					if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
						t.Errorf("hpa %s scales on CPU, but container %s requests none", name, c.Name)
					}
				}
			case m.Type == autoscalingv2.PodsMetricSourceType:
				// The series the app exports on --metrics-listen, checked
				// against the binary by probes_test.go.
				if m.Pods.Metric.Name != "agora_http_in_flight" {
					t.Errorf("hpa %s: pods metric %s is not one the app exports", name, m.Pods.Metric.Name)
				}
				_, app := appContainer(t, o, "app")
				if app.listenPort(t, "metrics-listen") == 0 {
					t.Errorf("hpa %s: the app's metrics are not on the pod address for Prometheus to scrape", name)
				}
			default:
				t.Errorf("hpa %s: unexpected metric %s", name, m.Type)
			}
		}
	}
}

func checkNetworkPolicies(t *testing.T, o *overlay) {
	for name, np := range o.netpols {
		targets := podsSelectedBy(o, selectorOf(t, &np.Spec.PodSelector))
		if len(targets) != 1 {
			t.Errorf("networkpolicy %s applies to the pods of %d deployments, want 1", name, len(targets))
			continue
		}
		target := targets[0].Spec.Template.Spec.Containers
		for _, rule := range np.Spec.Ingress {
			for _, from := range rule.From {
				if from.PodSelector != nil && len(podsSelectedBy(o, selectorOf(t, from.PodSelector))) == 0 {
					t.Errorf("networkpolicy %s admits pods that no deployment runs", name)
				}
			}
			for _, p := range rule.Ports {
				found := false
				for i := range target {
					if p.Port != nil && containerPort(&target[i], *p.Port) != 0 {
						found = true
					}
				}
				if !found {
					t.Errorf("networkpolicy %s opens port %v, which %s does not declare", name, p.Port, targets[0].Name)
				}
			}
		}
	}
	// The app trusts forwarded headers from private addresses: only the
	// edge may reach its public port.
	_, app := appContainer(t, o, "app")
	if app.flags["trusted-proxies"] != "" && len(o.netpols) == 0 {
		t.Error("the app trusts proxies, but no NetworkPolicy keeps other pods from posing as the edge")
	}
}

// secretKeys are the keys a Secret of that name will hold: in the overlay,
// or written by CloudNativePG for a Cluster of the overlay.
func secretKeys(o *overlay, name string) ([]string, bool) {
	if s, ok := o.secrets[name]; ok {
		keys := sortedKeys(s.Data)
		for k := range s.StringData {
			keys = append(keys, k)
		}
		return keys, true
	}
	for cluster := range o.clusters {
		if name == cluster+"-app" {
			return cnpgAppSecretKeys, true
		}
	}
	return nil, false
}

func checkReferences(t *testing.T, o *overlay) {
	specs := map[string]*corev1.PodSpec{}
	for n, d := range o.deploys {
		specs["deployment "+n] = &d.Spec.Template.Spec
	}
	for n, j := range o.jobs {
		specs["job "+n] = &j.Spec.Template.Spec
	}
	secret := func(where, name, key string, optional *bool) {
		keys, ok := secretKeys(o, name)
		switch {
		case optional != nil && *optional:
		case !ok:
			t.Errorf("%s: secret %s does not exist in the overlay", where, name)
		case key != "" && !slices.Contains(keys, key):
			t.Errorf("%s: secret %s has no key %s (has %v)", where, name, key, keys)
		}
	}
	configMap := func(where, name, key string, optional *bool) {
		cm, ok := o.configMaps[name]
		switch {
		case optional != nil && *optional:
		case !ok:
			t.Errorf("%s: configmap %s does not exist in the overlay", where, name)
		case key != "":
			if _, ok := cm.Data[key]; !ok {
				t.Errorf("%s: configmap %s has no key %s", where, name, key)
			}
		}
	}
	for where, spec := range specs {
		for _, v := range spec.Volumes {
			if v.Secret != nil {
				secret(where, v.Secret.SecretName, "", v.Secret.Optional)
			}
			if v.ConfigMap != nil {
				configMap(where, v.ConfigMap.Name, "", v.ConfigMap.Optional)
			}
		}
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					secret(where, r.Name, r.Key, r.Optional)
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					configMap(where, r.Name, r.Key, r.Optional)
				}
			}
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					secret(where, e.SecretRef.Name, "", e.SecretRef.Optional)
				}
				if e.ConfigMapRef != nil {
					configMap(where, e.ConfigMapRef.Name, "", e.ConfigMapRef.Optional)
				}
			}
			for _, m := range c.VolumeMounts {
				if !slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
					t.Errorf("%s: container %s mounts volume %s, which the pod does not have", where, c.Name, m.Name)
				}
			}
		}
	}
	// --cluster-secret-file must name a file of a mounted secret.
	ns := namespaceOf(t, o)
	for _, name := range sortedKeys(o.deploys) {
		d := o.deploys[name]
		for _, ac := range agoraContainers(t, &d.Spec.Template.Spec, ns) {
			path, ok := ac.flags["cluster-secret-file"]
			if !ok {
				t.Errorf("%s: agora %s without --cluster-secret-file: no purges, no purge log", name, ac.role)
				continue
			}
			if !mountsSecretFile(ac.c, &d.Spec.Template.Spec, o, path) {
				t.Errorf("%s: --cluster-secret-file=%s is not a key of a mounted secret", name, path)
			}
		}
	}
}

func mountsSecretFile(c *corev1.Container, spec *corev1.PodSpec, o *overlay, path string) bool {
	dir, file := filepath.Split(path)
	for _, m := range c.VolumeMounts {
		if filepath.Clean(m.MountPath) != filepath.Clean(dir) {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.Secret != nil {
				keys, _ := secretKeys(o, v.Secret.SecretName)
				return slices.Contains(keys, file)
			}
		}
	}
	return false
}

// envFromConfigMap is the value an env variable takes from a ConfigMap.
func envFromConfigMap(o *overlay, c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			if cm := o.configMaps[e.ValueFrom.ConfigMapKeyRef.Name]; cm != nil {
				return cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]
			}
		}
	}
	return ""
}

// dbRef is where a container's AGORA_DB comes from.
func dbRef(c *corev1.Container) *corev1.SecretKeySelector {
	for _, e := range c.Env {
		if e.Name == "AGORA_DB" && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

func checkMigrateJob(t *testing.T, o *overlay) {
	_, app := appContainer(t, o, "app")
	ns := namespaceOf(t, o)
	var migrates int
	for name, j := range o.jobs {
		for _, ac := range agoraContainers(t, &j.Spec.Template.Spec, ns) {
			if ac.role != "migrate" {
				continue
			}
			migrates++
			a, m := dbRef(app.c), dbRef(ac.c)
			if a == nil || m == nil || *a != *m {
				t.Errorf("job %s migrates the database of AGORA_DB %v, the app reads %v", name, m, a)
			}
		}
	}
	if migrates != 1 {
		t.Errorf("%d jobs run agora migrate, want 1", migrates)
	}
}

// parseSize reads the sizes agora's --cache-size takes: bytes or KiB/MiB/GiB.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func checkEdgeMemory(t *testing.T, o *overlay) {
	_, edge := appContainer(t, o, "edge")
	cache, err := parseSize(edge.setting("cache-size", "1GiB"))
	if err != nil {
		t.Fatal(err)
	}
	// The edge sets its Go memory limit to cache + cache/8 + 16 MiB
	// (cmd/agora/memlimit.go); the container must have room for it.
	need := cache + cache/8 + 16<<20
	limit, ok := edge.c.Resources.Limits[corev1.ResourceMemory]
	if !ok || limit.Value() < need {
		t.Errorf("edge: memory limit %v < %d bytes the edge uses with a full %s cache", limit.String(), need, edge.setting("cache-size", "1GiB"))
	}
}

func checkSecurity(t *testing.T, o *overlay) {
	specs := map[string]*corev1.PodSpec{}
	for n, d := range o.deploys {
		specs["deployment "+n] = &d.Spec.Template.Spec
	}
	for n, j := range o.jobs {
		specs["job "+n] = &j.Spec.Template.Spec
	}
	for where, spec := range specs {
		psc := spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot is not set", where)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccomp profile is not RuntimeDefault", where)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: mounts a Kubernetes API token it has no use for", where)
		}
		// Service links would add AGORA_*_PORT and the like next to the
		// variables agora's flags read.
		if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
			t.Errorf("%s: service links are on", where)
		}
		for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s: container %s has no security context", where, c.Name)
				continue
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: container %s may escalate privileges", where, c.Name)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: container %s has a writable root filesystem", where, c.Name)
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: container %s does not drop every capability", where, c.Name)
			}
			if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
				t.Errorf("%s: container %s has no memory limit", where, c.Name)
			}
		}
	}
}

func checkClusters(t *testing.T, o *overlay) {
	_, app := appContainer(t, o, "app")
	for name, c := range o.clusters {
		s := c.Spec
		if s.Instances < 1 {
			t.Errorf("cluster %s: %d instances", name, s.Instances)
		}
		if !slices.Contains([]string{"", "unsupervised", "supervised"}, s.PrimaryUpdateStrategy) {
			t.Errorf("cluster %s: primaryUpdateStrategy %q", name, s.PrimaryUpdateStrategy)
		}
		if a := s.Affinity; a != nil && !slices.Contains([]string{"", "preferred", "required"}, a.PodAntiAffinityType) {
			t.Errorf("cluster %s: podAntiAffinityType %q", name, a.PodAntiAffinityType)
		}
		if s.Storage.Size == "" {
			t.Errorf("cluster %s: no storage size", name)
		}
		if pg := s.PostgreSQL; pg != nil && pg.Synchronous != nil {
			sy := pg.Synchronous
			if !slices.Contains([]string{"any", "first"}, sy.Method) || sy.Number < 1 || sy.Number >= s.Instances ||
				!slices.Contains([]string{"", "required", "preferred"}, sy.DataDurability) {
				t.Errorf("cluster %s: synchronous %+v with %d instances", name, *sy, s.Instances)
			}
		}
		// The app reads the Secret the operator writes for this Cluster.
		if r := dbRef(app.c); r == nil || r.Name != name+"-app" || r.Key != "uri" {
			t.Errorf("the app's AGORA_DB comes from %v, not %s-app/uri", r, name)
		}
		// Connections: every app pod the HPA may run, at its full pool.
		pods := int32(1)
		if d := o.deploys["agora-app"]; d != nil && d.Spec.Replicas != nil {
			pods = *d.Spec.Replicas
		}
		if h := o.hpas["agora-app"]; h != nil {
			pods = max(pods, h.Spec.MaxReplicas)
		}
		maxConns := 100 // PostgreSQL's default
		if pg := s.PostgreSQL; pg != nil && pg.Parameters["max_connections"] != "" {
			var err error
			if maxConns, err = strconv.Atoi(pg.Parameters["max_connections"]); err != nil {
				t.Fatal(err)
			}
		}
		if need := int(pods)*appPoolConns + 10; maxConns < need {
			t.Errorf("cluster %s: max_connections %d < %d app pods × %d + 10", name, maxConns, pods, appPoolConns)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
