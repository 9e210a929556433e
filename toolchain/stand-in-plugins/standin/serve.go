// Package standin holds what the offline stand-in provider plugins share: serving the
// ResourceProvider gRPC service, the engine log, and property values in plain form.
package standin

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Base answers the calls every stand-in answers alike; a stand-in embeds it and implements
// Check, Diff, Create, Read, Update, Delete and Invoke for its one type.
type Base struct {
	pulumirpc.UnimplementedResourceProviderServer
	Name     string // the plugin, e.g. "pulumi-resource-command"
	Version  string
	Type     string // the one resource type implemented
	Engine   *EngineLog
	OnCancel func()
}

func (b *Base) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: b.Version}, nil
}

func (b *Base) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: "{}"}, nil
}

// Configure: provider configuration (such as docker:host) is ignored.
func (b *Base) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (b *Base) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	if b.OnCancel != nil {
		b.OnCancel()
	}
	return &emptypb.Empty{}, nil
}

// RequireType fails unless the URN names the stand-in's type: each implements one type only.
func (b *Base) RequireType(urn string) error {
	if actual := ResourceType(urn); actual != b.Type {
		return fmt.Errorf("unknown resource type %s: the offline stand-in of %s implements %s only", actual, b.Name, b.Type)
	}
	return nil
}

// Failures turns (property, reason) pairs into check failures.
func Failures(pairs ...[2]string) []*pulumirpc.CheckFailure {
	var out []*pulumirpc.CheckFailure
	for _, p := range pairs {
		out = append(out, &pulumirpc.CheckFailure{Property: p[0], Reason: p[1]})
	}
	return out
}

// EngineLog sends messages to the engine's log, under a resource, in order; without an engine
// (a plugin started by hand) they go to stderr.
type EngineLog struct {
	mu     sync.Mutex
	client pulumirpc.EngineClient
}

// Info logs one message; ephemeral ones are status lines the CLI shows only while running.
func (l *EngineLog) Info(urn, message string, ephemeral bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client != nil {
		_, err := l.client.Log(context.Background(), &pulumirpc.LogRequest{
			Severity: pulumirpc.LogSeverity_INFO, Message: message, Urn: urn, Ephemeral: ephemeral,
		})
		if err == nil {
			return
		}
	}
	fmt.Fprintln(os.Stderr, strings.TrimSuffix(message, "\n"))
}

// ParseArgs reads the command line the CLI starts plugins with:
// PLUGIN [-tracing URL | -tracing=URL] [-flag=value ...] ENGINE_ADDRESS.
func ParseArgs(args []string) (engineAddress, tracing string) {
	for i := 0; i < len(args); i++ {
		switch a := strings.TrimLeft(args[i], "-"); {
		case !strings.HasPrefix(args[i], "-"):
			if engineAddress == "" {
				engineAddress = args[i]
			}
		case strings.HasPrefix(a, "tracing="):
			tracing = strings.TrimPrefix(a, "tracing=")
		case a == "tracing" && i+1 < len(args):
			i++
			tracing = args[i]
		}
	}
	return engineAddress, tracing
}

// Serve runs the provider as the CLI starts plugins: `PLUGIN [flags] ENGINE_ADDRESS`.
func Serve(base *Base, provider pulumirpc.ResourceProviderServer) {
	base.Engine = &EngineLog{}
	if address, _ := ParseArgs(os.Args[1:]); address != "" {
		conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err == nil {
			base.Engine.client = pulumirpc.NewEngineClient(conn)
		}
	}
	ServeGRPC(base.Name, func(server *grpc.Server) { pulumirpc.RegisterResourceProviderServer(server, provider) }, base.OnCancel)
}

// ServeGRPC serves a plugin's gRPC service on a free local port and prints the port as the first
// line of output, where the CLI reads it. The CLI closes a plugin with SIGINT and waits 5 s
// before killing it: the plugin stops at once (after onStop, nil allowed), or every command
// that starts it pays those 5 s.
func ServeGRPC(name string, register func(*grpc.Server), onStop func()) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: could not listen: %v\n", name, err)
		os.Exit(1)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(400<<20), grpc.MaxSendMsgSize(400<<20))
	register(server)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		if onStop != nil {
			onStop()
		}
		server.Stop()
		os.Exit(0)
	}()

	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)
	if err := server.Serve(listener); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// ReadStored answers Read with the stored state as it is, and the inputs among it: the stand-ins
// keep no state outside Pulumi's.
func ReadStored(req *pulumirpc.ReadRequest, inputKeys []string) (*pulumirpc.ReadResponse, error) {
	inputs, err := ToStruct(Pick(FromStruct(req.GetProperties()), inputKeys))
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, err
}
