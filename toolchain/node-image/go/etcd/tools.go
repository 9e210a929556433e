//go:build tools

// etcd's main package is the root of go.etcd.io/etcd/server/v3, whose go.mod replaces
// its sibling modules with local paths (so `go install` refuses it); built from this
// wrapper module, the published siblings are used instead.
package tools

import _ "go.etcd.io/etcd/server/v3"
