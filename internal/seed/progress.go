package seed

import (
	"io"

	"github.com/schollz/progressbar/v3"
)

// bar is a progress bar, or nothing when there is no writer. Its methods
// are safe for concurrent use (progressbar locks).
type bar struct{ pb *progressbar.ProgressBar }

func newBar(w io.Writer, total int, what string) bar {
	if w == nil {
		return bar{}
	}
	return bar{pb: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
	)}
}

func (b bar) add() { b.addN(1) }

func (b bar) addN(n int) {
	if b.pb != nil {
		_ = b.pb.Add(n)
	}
}

// stop ends a bar cut short (an error, a cancellation) where it stands, so
// the next output starts on a new line; a bar that reached its total has
// already ended.
func (b bar) stop() {
	if b.pb != nil && !b.pb.IsFinished() {
		_ = b.pb.Exit()
	}
}
