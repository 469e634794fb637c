// Package kubernetes holds Agora's Kubernetes manifests (base/ and
// overlays/, built with kustomize) and nothing else: its tests build every
// overlay, decode each object strictly into the Kubernetes API types, check
// that the objects agree with one another and with the flags and routes of
// the agora binary, and start that binary with the manifests' arguments to
// see its probes answer. See README.md.
package kubernetes
