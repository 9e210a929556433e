// Command kind-cni prints the value of a string constant declared in the Go file on its
// standard input, as the compiler computes it: the node-image step reads kind's default CNI
// manifest (defaultCNIManifest in pkg/build/nodeimage/const_cni.go) and the kindnetd image it
// names (kindnetdImage) this way, instead of keeping a hand-made copy.
//
//	go run main.go CONSTANT <FILE
package main

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kind-cni CONSTANT <FILE")
		os.Exit(2)
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "stdin.go", os.Stdin, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check(file.Name.Name, fset, []*ast.File{file}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, ok := pkg.Scope().Lookup(os.Args[1]).(*types.Const)
	if !ok || c.Val().Kind() != constant.String {
		fmt.Fprintf(os.Stderr, "no string constant %s in the file\n", os.Args[1])
		os.Exit(1)
	}
	fmt.Print(constant.StringVal(c.Val()))
}
