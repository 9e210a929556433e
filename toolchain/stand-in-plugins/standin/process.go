package standin

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// Processes is the set of child processes running now, so that a cancel can signal them.
type Processes struct {
	mu      sync.Mutex
	running map[*os.Process]struct{}
}

// Add records a started process.
func (ps *Processes) Add(p *os.Process) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.running == nil {
		ps.running = map[*os.Process]struct{}{}
	}
	ps.running[p] = struct{}{}
}

// Remove forgets a process (nil allowed: one that never started).
func (ps *Processes) Remove(p *os.Process) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.running, p)
}

// Signal sends sig to every running process.
func (ps *Processes) Signal(sig os.Signal) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for p := range ps.running {
		_ = p.Signal(sig)
	}
}

// Output is what a finished process wrote.
type Output struct {
	Stdout, Stderr string
	Combined       string // both, in the order they arrived
}

// Run runs cmd, handing each complete line of stdout and stderr (the last, partial one at the
// end) to onLine as it arrives, and the started process to onStart (nil allowed) so that it can
// be signalled. The error is exec's (an *exec.ExitError for a non-zero exit).
func Run(cmd *exec.Cmd, onStart func(*os.Process), onLine func(line string, fromStdout bool)) (Output, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Output{}, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return Output{}, err
	}
	if err := cmd.Start(); err != nil {
		return Output{}, err
	}
	if onStart != nil {
		onStart(cmd.Process)
	}
	var mu sync.Mutex
	var out, errOut, combined strings.Builder
	var wg sync.WaitGroup
	read := func(r io.Reader, fromStdout bool) {
		defer wg.Done()
		reader := bufio.NewReader(r)
		for {
			line, readErr := reader.ReadString('\n')
			if line != "" {
				mu.Lock()
				if fromStdout {
					out.WriteString(line)
				} else {
					errOut.WriteString(line)
				}
				combined.WriteString(line)
				mu.Unlock()
				onLine(strings.TrimSuffix(line, "\n"), fromStdout)
			}
			if readErr != nil {
				return
			}
		}
	}
	wg.Add(2)
	go read(stdout, true)
	go read(stderr, false)
	// Wait closes the pipes: read them to the end first.
	wg.Wait()
	err = cmd.Wait()
	return Output{Stdout: out.String(), Stderr: errOut.String(), Combined: combined.String()}, err
}

// TrimNewline removes one trailing newline, as upstream's command provider does.
func TrimNewline(s string) string {
	return strings.TrimSuffix(s, "\n")
}

// LastLines is the last n lines of s, with "..." first when some were left out.
func LastLines(s string, n int) string {
	lines := strings.Split(TrimNewline(s), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
