// pulumi-resource-command 1.2.1, offline stand-in (see ../../README.md).
//
// Upstream's plugin is a Go module the reachable Go module proxy does not serve, and plugin
// downloads are impossible here. This plugin serves the same ResourceProvider gRPC service for
// the part of the package the project uses: the resource `command:local:Command` and the
// function `command:local:run` (what `command.local.run` / `runOutput` invoke), with upstream's
// names, inputs, outputs and defaults. Written from scratch; not a copy of upstream code.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"kube-demo.local/toolchain/stand-in-plugins/standin"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	version     = "1.2.1"
	commandType = "command:local:Command"
	runToken    = "command:local:run"
)

var (
	loggingModes       = []string{"stdout", "stderr", "stdoutAndStderr", "none"}
	defaultInterpreter = []string{"/bin/sh", "-c"}
	commandInputs      = []string{"create", "update", "delete", "environment", "dir", "interpreter", "stdin",
		"logging", "triggers", "addPreviousOutputInEnv", "assetPaths", "archivePaths"}
	runInputs = []string{"command", "dir", "environment", "interpreter", "stdin", "logging",
		"addPreviousOutputInEnv", "assetPaths", "archivePaths"}
)

type provider struct {
	standin.Base
	running standin.Processes
}

// runOptions are the revealed settings of one run.
type runOptions struct {
	urn, operation string
	interpreter    []string
	dir            string
	environment    map[string]string
	stdin          string
	logging        string
}

func optionsFrom(urn, operation string, props standin.Props, extraEnv map[string]string) runOptions {
	env := standin.StringMap(props["environment"])
	for k, v := range extraEnv {
		env[k] = v
	}
	return runOptions{
		urn: urn, operation: operation,
		interpreter: standin.Strings(props["interpreter"]),
		dir:         standin.String(props["dir"]),
		environment: env,
		stdin:       standin.String(props["stdin"]),
		logging:     standin.String(props["logging"]),
	}
}

// run runs script with the interpreter; stdout and stderr come back with one trailing newline
// trimmed (as upstream), a non-zero exit is an error naming the operation with stderr's end.
func (p *provider) run(script string, o runOptions) (stdout, stderr string, err error) {
	interpreter := o.interpreter
	if len(interpreter) == 0 {
		interpreter = defaultInterpreter
	}
	logging := o.logging
	if logging == "" {
		logging = "stdoutAndStderr"
	}
	logStdout := logging == "stdout" || logging == "stdoutAndStderr"
	logStderr := logging == "stderr" || logging == "stdoutAndStderr"

	cmd := exec.Command(interpreter[0], append(slices.Clone(interpreter[1:]), script)...)
	cmd.Env = os.Environ()
	for _, k := range standin.SortedKeys(o.environment) {
		cmd.Env = append(cmd.Env, k+"="+o.environment[k])
	}
	if o.dir != "" {
		cmd.Dir, _ = filepath.Abs(o.dir)
	}
	cmd.Stdin = strings.NewReader(o.stdin)

	output, runErr := standin.Run(cmd, p.running.Add, func(line string, fromStdout bool) {
		if (fromStdout && logStdout) || (!fromStdout && logStderr) {
			p.Engine.Info(o.urn, line, false)
		}
	})
	p.running.Remove(cmd.Process)

	var exit *exec.ExitError
	switch {
	case runErr == nil:
		return standin.TrimNewline(output.Stdout), standin.TrimNewline(output.Stderr), nil
	case !errors.As(runErr, &exit):
		return "", "", fmt.Errorf("%s: could not run %s: %v", o.operation, interpreter[0], runErr)
	}
	status := fmt.Sprintf("exit status %d", exit.ExitCode())
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		status = "killed by " + ws.Signal().String()
	}
	message := fmt.Sprintf("%s command failed: %s", o.operation, status)
	if strings.TrimSpace(output.Stderr) != "" {
		message += "\nstderr (last lines):\n" + standin.LastLines(output.Stderr, 20)
	} else {
		message += "\nstderr: (empty)"
	}
	if logStdout && strings.TrimSpace(output.Stdout) != "" {
		message += "\nstdout (last lines):\n" + standin.LastLines(output.Stdout, 20)
	}
	return "", "", errors.New(message)
}

// validate returns the check failures the resource and the function share (values may be
// unknown or secret).
func validate(props standin.Props) []*pulumirpc.CheckFailure {
	var failures [][2]string
	for _, key := range []string{"assetPaths", "archivePaths"} {
		v := props[key]
		if list, isList := v.([]any); v != nil && !(isList && len(list) == 0) {
			failures = append(failures, [2]string{key, fmt.Sprintf(
				"%s is not supported by the offline stand-in of pulumi-resource-command %s (toolchain/stand-in-plugins/README.md)", key, version)})
		}
	}
	if logging := standin.Reveal(props["logging"]); logging != nil && logging != standin.Unknown {
		if s, ok := logging.(string); !ok || !slices.Contains(loggingModes, s) {
			failures = append(failures, [2]string{"logging", fmt.Sprintf("logging must be one of %s; got %v",
				strings.Join(loggingModes, ", "), logging)})
		}
	}
	if interpreter := standin.Reveal(props["interpreter"]); interpreter != nil && interpreter != standin.Unknown {
		if list, ok := interpreter.([]any); !ok || len(list) == 0 {
			failures = append(failures, [2]string{"interpreter", "interpreter must be a non-empty list of strings"})
		}
	}
	if environment := standin.Reveal(props["environment"]); environment != nil && environment != standin.Unknown {
		if _, ok := environment.(map[string]any); !ok {
			failures = append(failures, [2]string{"environment", "environment must be a map of strings"})
		}
	}
	return standin.Failures(failures...)
}

// outputs are the inputs as given (secret ones stay secret) plus stdout and stderr, which are
// secret when the script that ran, its environment or stdin is.
func outputs(inputs standin.Props, stdout, stderr string, scriptKey string) standin.Props {
	fromSecret := standin.ContainsSecret(inputs["environment"]) || standin.ContainsSecret(inputs["stdin"]) ||
		(scriptKey != "" && standin.ContainsSecret(inputs[scriptKey]))
	wrap := func(s string) any {
		if fromSecret {
			return standin.Secret(s)
		}
		return s
	}
	outs := standin.Pick(inputs, commandInputs)
	outs["stdout"] = wrap(stdout)
	outs["stderr"] = wrap(stderr)
	return outs
}

// previousOutputEnv passes the last stdout and stderr to update and delete scripts.
func previousOutputEnv(state standin.Props) map[string]string {
	if standin.Reveal(state["addPreviousOutputInEnv"]) == false {
		return nil
	}
	return map[string]string{
		"PULUMI_COMMAND_STDOUT": standin.String(state["stdout"]),
		"PULUMI_COMMAND_STDERR": standin.String(state["stderr"]),
	}
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := p.RequireType(req.GetUrn()); err != nil {
		return nil, err
	}
	inputs := standin.FromStruct(req.GetNews())
	if inputs["addPreviousOutputInEnv"] == nil {
		inputs["addPreviousOutputInEnv"] = true // upstream's schema default
	}
	s, err := standin.ToStruct(inputs)
	return &pulumirpc.CheckResponse{Inputs: s, Failures: validate(inputs)}, err
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news := standin.FromStruct(req.GetOlds()), standin.FromStruct(req.GetNews())
	changes := pulumirpc.DiffResponse_DIFF_NONE
	var replaces []string
	for _, k := range commandInputs {
		if standin.ContainsUnknown(news[k]) || !standin.SameValue(olds[k], news[k]) {
			changes = pulumirpc.DiffResponse_DIFF_SOME
			// Triggers replace on change; an unknown trigger (preview) may change, so it replaces too.
			if k == "triggers" {
				replaces = []string{"triggers"}
			}
		}
	}
	return &pulumirpc.DiffResponse{Changes: changes, Replaces: replaces}, nil
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := p.RequireType(req.GetUrn()); err != nil {
		return nil, err
	}
	inputs := standin.FromStruct(req.GetProperties())
	var stdout, stderr string
	if script := standin.String(inputs["create"]); script != "" {
		var err error
		if stdout, stderr, err = p.run(script, optionsFrom(req.GetUrn(), "create", inputs, nil)); err != nil {
			return nil, err
		}
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	s, err := standin.ToStruct(outputs(inputs, stdout, stderr, "create"))
	return &pulumirpc.CreateResponse{Id: standin.ResourceName(req.GetUrn()) + hex.EncodeToString(suffix), Properties: s}, err
}

func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return standin.ReadStored(req, commandInputs)
}

func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, news := standin.FromStruct(req.GetOlds()), standin.FromStruct(req.GetNews())
	key, operation := "update", "update"
	if standin.String(news["update"]) == "" {
		key, operation = "create", "update (create script)"
	}
	script := standin.String(news[key])
	if script == "" {
		s, err := standin.ToStruct(outputs(news, standin.String(olds["stdout"]), standin.String(olds["stderr"]), ""))
		return &pulumirpc.UpdateResponse{Properties: s}, err
	}
	stdout, stderr, err := p.run(script, optionsFrom(req.GetUrn(), operation, news, previousOutputEnv(olds)))
	if err != nil {
		return nil, err
	}
	s, err := standin.ToStruct(outputs(news, stdout, stderr, key))
	return &pulumirpc.UpdateResponse{Properties: s}, err
}

// Delete runs the old state's delete script with the old environment.
func (p *provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	props := standin.FromStruct(req.GetProperties())
	if script := standin.String(props["delete"]); script != "" {
		if _, _, err := p.run(script, optionsFrom(req.GetUrn(), "delete", props, previousOutputEnv(props))); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

func (p *provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != runToken {
		return nil, fmt.Errorf("unknown function %s: the offline stand-in of pulumi-resource-command implements %s only", req.GetTok(), runToken)
	}
	args := standin.FromStruct(req.GetArgs())
	failures := validate(args)
	command := standin.String(args["command"])
	if command == "" {
		failures = append(failures, standin.Failures([2]string{"command", "command is required"})...)
	}
	if len(failures) > 0 {
		return &pulumirpc.InvokeResponse{Failures: failures}, nil
	}
	stdout, stderr, err := p.run(command, optionsFrom("", "run", args, nil))
	if err != nil {
		return nil, err
	}
	fromSecret := standin.ContainsSecret(args["command"]) || standin.ContainsSecret(args["environment"]) ||
		standin.ContainsSecret(args["stdin"])
	outs := standin.Pick(args, runInputs)
	outs["stdout"], outs["stderr"] = any(stdout), any(stderr)
	if fromSecret {
		outs["stdout"], outs["stderr"] = standin.Secret(stdout), standin.Secret(stderr)
	}
	s, err := standin.ToStruct(outs)
	return &pulumirpc.InvokeResponse{Return: s}, err
}

func main() {
	p := &provider{}
	p.Base = standin.Base{Name: "pulumi-resource-command", Version: version, Type: commandType,
		OnCancel: func() { p.running.Signal(syscall.SIGTERM) }}
	standin.Serve(&p.Base, p)
}
