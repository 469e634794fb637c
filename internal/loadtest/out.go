package loadtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The files WriteDir writes.
const (
	RequestsFile = "requests.csv"
	SummaryFile  = "summary.txt"
	PlotFile     = "plot.svg"
)

// WriteDir writes the records, the summary and the plot of a run into dir,
// creating it if need be.
func WriteDir(dir string, res *Results, sum Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	for name, write := range map[string]func(io.Writer) error{
		RequestsFile: func(w io.Writer) error { return WriteCSV(w, res.Records) },
		SummaryFile:  func(w io.Writer) error { sum.Write(w); return nil },
		PlotFile:     func(w io.Writer) error { return WritePlot(w, res) },
	} {
		if err := writeFile(filepath.Join(dir, name), write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	if err := errors.Join(write(f), f.Close()); err != nil {
		return fmt.Errorf("loadtest: writing %s: %w", path, err)
	}
	return nil
}
