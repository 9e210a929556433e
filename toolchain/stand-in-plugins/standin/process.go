package standin

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
)

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
