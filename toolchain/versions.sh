# shellcheck shell=bash
# shellcheck disable=SC2034 # definitions only: the scripts that source this file use them
# Every version the offline toolchain builds, in one place.
# The three provider versions must equal the SDK versions in package-lock.json;
# toolchain/build.sh refuses to run when they differ.

PULUMI_VERSION=3.248.0
PULUMI_KUBERNETES_VERSION=4.25.0
# pulumi-kubernetes tags no provider/v4 module versions; this pseudo-version is the v4.25.0 commit.
PULUMI_KUBERNETES_MODULE=v4.0.0-20260115033456-f47bc2d6f199
PULUMI_COMMAND_VERSION=1.2.1
PULUMI_DOCKER_VERSION=4.11.0

KIND_VERSION=0.33.0
# kube-score, which checks the manifests the program declares (tests/lint/).
KUBE_SCORE_VERSION=1.20.0
# distribution's registry: the local registry the e2e tests' Kind nodes pull from (kind's pattern).
REGISTRY_VERSION=3.1.2
# 1.34.x is the last Kubernetes whose kubelet starts on a cgroup v1 host by default (KEP-5573).
KUBERNETES_VERSION=1.34.4

# Local images the toolchain makes; nothing is ever pulled.
KIND_NODE_IMAGE=kube-demo/kind-node:v$KUBERNETES_VERSION
NODE_BASE_IMAGE=kube-demo/node-base:$(node --version | tr -d v)
REGISTRY_IMAGE=kube-demo/registry:$REGISTRY_VERSION

# Node image components, built from the Go module proxy (no registry is reachable).
# containerd 2.x: Debian's 1.6 is end-of-life; 2.2 supports Kubernetes 1.34 and cgroup v1.
CONTAINERD_VERSION=2.2.1
# The etcd kubeadm 1.34 asks for (its image is tagged registry.k8s.io/etcd:3.6.5-0).
ETCD_VERSION=3.6.5
# kubeadm 1.34 asks for coredns v1.12.1; the proxy serves only v1.14.3 and later, so v1.14.3
# is built and tagged as the image kubeadm expects (registry.k8s.io/coredns/coredns:v1.12.1).
COREDNS_VERSION=1.14.3
# Debian bookworm: its systemd 252 still runs on a cgroup v1 host (256+ refuses).
NODE_IMAGE_SUITE=bookworm
# crictl, which `kind load docker-image` runs on the node (matches Kubernetes' minor).
CRICTL_VERSION=1.34.0
# kindnetd, kind's default CNI, from kind v0.31.0's images/kindnetd (../shared/upstream): later
# kinds' kindnetd needs a kube-network-policies pseudo-version the proxy refuses. The node image
# carries kind v0.31.0's manifest for it (pkg/build/nodeimage/const_cni.go).
KINDNETD_VERSION=0.31.0
KINDNETD_IMAGE=kube-demo/kindnetd:v$KINDNETD_VERSION

# Released upstream source of what the Go module proxy refuses (../shared/upstream, see its
# README): each archive is checked against this sha256 before it is built.
UPSTREAM_DIR=${KUBE_DEMO_UPSTREAM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/upstream}
UPSTREAM_COMMAND_SHA256=0b97423431167a2d6da9d1b2b3f6576fc9025dc7d2442d2af383eadcda49404b
UPSTREAM_DOCKER_SHA256=124a6c43ddba66e3410d7dceb0b923b8001bc1de742412b6e277c5ff6452e15a
UPSTREAM_PULUMI_SHA256=64a9019d43838f8442de2626cae048a269678d22f630cff92b3b9a66e15eece5
UPSTREAM_KINDNETD_SHA256=cec73d1568a80d75f91d79992531f86b558f608244bdb1a1a7cd564357e6caab
