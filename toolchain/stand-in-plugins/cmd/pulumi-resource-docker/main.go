// pulumi-resource-docker 4.11.0, offline stand-in (see ../../README.md).
//
// Upstream's plugin is a Go module the reachable Go module proxy does not serve, and plugin
// downloads are impossible here. This plugin serves the same ResourceProvider gRPC service for
// the part of the package the project uses: `docker:index/image:Image` built locally with
// `skipPush: true`, with upstream's names, inputs and outputs. It builds with the docker CLI
// (`docker build`, the classic builder: this machine's CLI has no buildx). Written from
// scratch; not a copy of upstream code.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"kube-demo.local/toolchain/stand-in-plugins/standin"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	version   = "4.11.0"
	imageType = "docker:index/image:Image"
)

// keptInputs are the inputs the outputs (and Read's inputs) repeat.
var keptInputs = []string{"build", "buildOnPreview", "imageName", "registry", "skipPush"}

type provider struct{ standin.Base }

// buildPaths are the effective context and Dockerfile (relative ones against the project).
type buildPaths struct{ context, dockerfile, contextAbs, dockerfileAbs string }

func pathsOf(build map[string]any) buildPaths {
	p := buildPaths{context: standin.String(build["context"]), dockerfile: standin.String(build["dockerfile"])}
	if p.context == "" {
		p.context = "."
	}
	if p.dockerfile == "" {
		p.dockerfile = filepath.Join(p.context, "Dockerfile")
	}
	p.contextAbs, _ = filepath.Abs(p.context)
	p.dockerfileAbs, _ = filepath.Abs(p.dockerfile)
	return p
}

// contextDigest is a sha256 over what `docker build` sees: every file of the context that
// .dockerignore lets through (path, mode, bytes; symlinks by target), plus the Dockerfile.
func contextDigest(contextAbs, dockerfileAbs string) (string, error) {
	var patterns []string
	if f, err := os.Open(filepath.Join(contextAbs, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf(".dockerignore: %w", err)
		}
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		return "", fmt.Errorf(".dockerignore: %w", err)
	}
	var files []string
	err = filepath.WalkDir(contextAbs, func(full string, entry fs.DirEntry, err error) error {
		if err != nil || full == contextAbs {
			return err
		}
		rel, _ := filepath.Rel(contextAbs, full)
		rel = filepath.ToSlash(rel)
		ignored, err := matcher.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if entry.IsDir() {
			// An excluded directory may hold re-included files only when some rule starts with "!".
			if ignored && !matcher.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		if !ignored {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	hash := sha256.New()
	for _, rel := range files {
		full := filepath.Join(contextAbs, filepath.FromSlash(rel))
		info, err := os.Lstat(full)
		if err != nil {
			return "", err
		}
		var bytes []byte
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(full)
			if err != nil {
				return "", err
			}
			bytes = []byte(target)
		} else if bytes, err = os.ReadFile(full); err != nil {
			return "", err
		}
		fmt.Fprintf(hash, "%s\x00%s\x00%d\x00", rel, strconv.FormatUint(uint64(info.Mode().Perm()), 8), len(bytes))
		hash.Write(bytes)
	}
	dockerfile, err := os.ReadFile(dockerfileAbs)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(hash, "dockerfile\x00%d\x00", len(dockerfile))
	hash.Write(dockerfile)
	return hex.EncodeToString(hash.Sum(nil)), nil
}

// docker runs the docker CLI with the classic builder (this CLI has no buildx); with showLines,
// its output is shown as status lines under the resource.
func (p *provider) docker(urn string, showLines bool, args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	output, err := standin.Run(cmd, nil, func(line string, _ bool) {
		if showLines && strings.TrimSpace(line) != "" {
			p.Engine.Info(urn, line, true)
		}
	})
	var exit *exec.ExitError
	switch {
	case err == nil:
		return strings.TrimSpace(output.Stdout), nil
	case errors.As(err, &exit):
		return "", fmt.Errorf("docker %s failed (exit status %d):\n%s", args[0], exit.ExitCode(), standin.LastLines(output.Combined, 25))
	default:
		return "", fmt.Errorf("could not run docker: %v", err)
	}
}

func (p *provider) buildImage(urn string, inputs standin.Props) (string, standin.Props, error) {
	imageName := standin.String(inputs["imageName"])
	build, _ := standin.Reveal(inputs["build"]).(map[string]any)
	paths := pathsOf(build)
	args := []string{"build", "-f", paths.dockerfileAbs, "-t", imageName}
	if platform := standin.String(build["platform"]); platform != "" {
		args = append(args, "--platform", platform)
	}
	buildArgs := standin.StringMap(build["args"])
	for _, k := range standin.SortedKeys(buildArgs) {
		args = append(args, "--build-arg", k+"="+buildArgs[k])
	}
	if target := standin.String(build["target"]); target != "" {
		args = append(args, "--target", target)
	}
	if network := standin.String(build["network"]); network != "" {
		args = append(args, "--network", network)
	}
	for _, host := range standin.Strings(build["addHosts"]) {
		args = append(args, "--add-host", host)
	}
	if cacheFrom, ok := build["cacheFrom"].(map[string]any); ok {
		for _, image := range standin.Strings(cacheFrom["images"]) {
			args = append(args, "--cache-from", image)
		}
	}
	args = append(args, paths.contextAbs)
	p.Engine.Info(urn, fmt.Sprintf("Building image '%s'...", imageName), true)
	if _, err := p.docker(urn, true, args...); err != nil {
		return "", nil, err
	}
	imageID, err := p.docker(urn, false, "image", "inspect", "-f", "{{.Id}}", imageName)
	if err != nil {
		return "", nil, err
	}

	outs := standin.Pick(inputs, keptInputs)
	outs["imageName"] = inputs["imageName"]
	outs["baseImageName"] = inputs["imageName"]
	outs["context"] = paths.context
	outs["dockerfile"] = paths.dockerfile
	if platform := standin.String(build["platform"]); platform != "" {
		outs["platform"] = platform
	}
	outs["registryServer"] = ""
	// Nothing is pushed, so there is no registry digest: the local image ID stands in for it
	// (it changes exactly when the build produces a different image).
	outs["repoDigest"] = any(imageID)
	if standin.IsSecret(inputs["imageName"]) {
		outs["repoDigest"] = standin.Secret(imageID)
	}
	return imageName, outs, nil
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := p.RequireType(req.GetUrn()); err != nil {
		return nil, err
	}
	inputs := standin.FromStruct(req.GetNews())
	var failures [][2]string
	if standin.Reveal(inputs["imageName"]) == nil || standin.Reveal(inputs["imageName"]) == "" {
		failures = append(failures, [2]string{"imageName", "imageName is required"})
	}
	if skipPush := standin.Reveal(inputs["skipPush"]); skipPush != standin.Unknown && skipPush != true {
		failures = append(failures, [2]string{"skipPush", "the offline stand-in of pulumi-resource-docker never pushes: set skipPush: true (toolchain/stand-in-plugins/README.md)"})
	}
	if inputs["build"] != standin.Unknown {
		buildSecret := standin.IsSecret(inputs["build"])
		build, _ := standin.Reveal(inputs["build"]).(map[string]any)
		if !buildSecret {
			build, _ = inputs["build"].(map[string]any)
		}
		if build == nil {
			build = map[string]any{}
		}
		shown, _ := standin.Reveal(build).(map[string]any)
		if shown["builderVersion"] == "BuilderBuildKit" {
			failures = append(failures, [2]string{"build.builderVersion", "BuildKit is not available to the offline stand-in (no buildx); use BuilderV1 or leave it unset"})
		}
		if standin.ContainsUnknown(shown["context"]) || standin.ContainsUnknown(shown["dockerfile"]) {
			build["contextDigest"] = standin.Unknown
		} else {
			paths := pathsOf(shown)
			if info, err := os.Stat(paths.contextAbs); err != nil || !info.IsDir() {
				failures = append(failures, [2]string{"build.context", fmt.Sprintf("build context %s is not a directory", paths.contextAbs)})
			} else if _, err := os.Stat(paths.dockerfileAbs); err != nil {
				failures = append(failures, [2]string{"build.dockerfile", fmt.Sprintf("Dockerfile %s does not exist", paths.dockerfileAbs)})
			} else {
				digest, err := contextDigest(paths.contextAbs, paths.dockerfileAbs)
				if err != nil {
					return nil, err
				}
				build["contextDigest"] = digest
			}
		}
		inputs["build"] = any(build)
		if buildSecret {
			inputs["build"] = standin.Secret(build)
		}
	}
	s, err := standin.ToStruct(inputs)
	return &pulumirpc.CheckResponse{Inputs: s, Failures: standin.Failures(failures...)}, err
}

// Diff: only imageName, build (with the context digest) or skipPush rebuild.
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news := standin.FromStruct(req.GetOlds()), standin.FromStruct(req.GetNews())
	changes := pulumirpc.DiffResponse_DIFF_NONE
	for _, k := range []string{"imageName", "build", "skipPush"} {
		if standin.ContainsUnknown(news[k]) || !standin.SameValue(olds[k], news[k]) {
			changes = pulumirpc.DiffResponse_DIFF_SOME
		}
	}
	return &pulumirpc.DiffResponse{Changes: changes}, nil
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := p.RequireType(req.GetUrn()); err != nil {
		return nil, err
	}
	id, outs, err := p.buildImage(req.GetUrn(), standin.FromStruct(req.GetProperties()))
	if err != nil {
		return nil, err
	}
	s, err := standin.ToStruct(outs)
	return &pulumirpc.CreateResponse{Id: id, Properties: s}, err
}

// Read returns the state as it is, whether or not the image is still there.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return standin.ReadStored(req, keptInputs)
}

func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	_, outs, err := p.buildImage(req.GetUrn(), standin.FromStruct(req.GetNews()))
	if err != nil {
		return nil, err
	}
	s, err := standin.ToStruct(outs)
	return &pulumirpc.UpdateResponse{Properties: s}, err
}

// Delete leaves the image (a user's local image) in place, like upstream.
func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, fmt.Errorf("unknown function %s: the offline stand-in of pulumi-resource-docker implements the %s resource only", req.GetTok(), imageType)
}

func main() {
	p := &provider{}
	p.Base = standin.Base{Name: "pulumi-resource-docker", Version: version, Type: imageType}
	standin.Serve(&p.Base, p)
}
