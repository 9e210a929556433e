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
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kind-cni CONSTANT <FILE")
		os.Exit(2)
	}
	value, err := stringConstant(os.Stdin, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(value)
}

// stringConstant type-checks the Go file in src and returns the value of its string constant
// name, as the compiler computes it (concatenations and other constants included).
func stringConstant(src io.Reader, name string) (string, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "stdin.go", src, 0)
	if err != nil {
		return "", err
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check(file.Name.Name, fset, []*ast.File{file}, nil)
	if err != nil {
		return "", err
	}
	c, ok := pkg.Scope().Lookup(name).(*types.Const)
	if !ok || c.Val().Kind() != constant.String {
		return "", fmt.Errorf("no string constant %s in the file", name)
	}
	return constant.StringVal(c.Val()), nil
}
