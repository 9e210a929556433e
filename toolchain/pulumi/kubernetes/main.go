// The main package of pulumi-resource-kubernetes, as upstream's
// provider/cmd/pulumi-resource-kubernetes/main.go: the provider module's zip lacks the
// generated *-embed.json files, which toolchain/steps/kubernetes-provider.sh generates with
// upstream's own generate.go next to this file before building.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
