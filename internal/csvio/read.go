package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// RowError is one problem of the file, numbered as a spreadsheet numbers
// rows: the header is row 1, the first product row is row 2 (a cell with
// line breaks is still one row).
type RowError struct {
	Row     int
	Column  string // "" when the problem is the row or the file as a whole
	Message string
}

func (e RowError) String() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d, %s: %s", e.Row, e.Column, e.Message)
}

// row is one data row, its cells (but the description) trimmed and
// un-neutralized; a column the
// header left out reads as "". A broken row (bad encoding, wrong number of
// cells) keeps the cells that could be read, so that its product, when its
// handle is readable, is refused with it rather than imported without it.
type row struct {
	n      int
	cells  [numColumns]string
	broken bool
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// readRows reads the whole file. Problems of the file (header, encoding,
// quoting) come back as RowErrors; a header problem or broken quoting stops
// the reading (stopped), so rows is then incomplete and nothing may be
// imported. err is only for failures to read at all.
func readRows(r io.Reader) (rows []row, present [numColumns]bool, problems []RowError, stopped bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		br.Discard(len(bomUTF8)) // Excel's "CSV UTF-8" starts with a BOM
	case bytes.HasPrefix(head, bomUTF16LE), bytes.HasPrefix(head, bomUTF16BE):
		return nil, present, []RowError{{Row: 1, Message: "The file is UTF-16 (Excel's \"Unicode Text\"): save it as \"CSV UTF-8 (comma delimited)\" instead."}}, true, nil
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // counted here, for a clearer message
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, present, []RowError{{Row: 1, Message: "The file is empty: it needs a header row (" + strings.Join(Columns[:], ",") + ") and one row per variant."}}, true, nil
	}
	if err != nil {
		return nil, present, []RowError{parseProblem(1, err)}, true, csvOrNil(err)
	}
	index, problem := mapHeader(header)
	if problem != nil {
		return nil, present, []RowError{*problem}, true, nil
	}
	for _, col := range index {
		present[col] = true
	}
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, present, problems, false, nil
		}
		if err != nil {
			return rows, present, append(problems, parseProblem(n, err)), true, csvOrNil(err)
		}
		rw, problem := makeRow(n, rec, index)
		if problem != nil {
			problems = append(problems, *problem)
		}
		if rw != nil {
			rows = append(rows, *rw)
		}
	}
}

// csvOrNil keeps read failures (a closed pipe, a cancelled upload) apart
// from broken CSV, which is the merchant's to fix.
func csvOrNil(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil
	}
	return fmt.Errorf("csvio: read: %w", err)
}

func parseProblem(n int, err error) RowError {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return RowError{Row: n, Message: fmt.Sprintf("The file is not valid CSV from here (line %d, %v): a quote inside a cell must be doubled and the cell quoted. Nothing after this row was read.", pe.Line, pe.Err)}
	}
	return RowError{Row: n, Message: "The file could not be read from here."}
}

// mapHeader returns, for each column of the file, the format column it is.
func mapHeader(header []string) ([]int, *RowError) {
	if len(header) == 1 && strings.ContainsAny(header[0], ";\t") {
		return nil, &RowError{Row: 1, Message: "The columns are separated by semicolons or tabs: save the file as CSV with commas (\"CSV UTF-8 (comma delimited)\")."}
	}
	byName := make(map[string]int, numColumns)
	for i, name := range Columns {
		byName[name] = i
	}
	index := make([]int, len(header))
	seen := map[int]bool{}
	var unknown, twice []string
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(name) {
			return nil, &RowError{Row: 1, Message: "The header is not valid UTF-8: save the file as \"CSV UTF-8\"."}
		}
		col, ok := byName[name]
		switch {
		case !ok:
			unknown = append(unknown, fmt.Sprintf("%q", truncate(h, 40)))
			continue
		case seen[col]:
			twice = append(twice, name)
		}
		seen[col] = true
		index[i] = col
	}
	var missing []string
	for _, col := range requiredColumns {
		if !seen[col] {
			missing = append(missing, Columns[col])
		}
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("Unknown columns %s: the columns are %s.", strings.Join(unknown, ", "), strings.Join(Columns[:], ", ")))
	}
	if len(twice) > 0 {
		msgs = append(msgs, fmt.Sprintf("Columns given twice: %s.", strings.Join(twice, ", ")))
	}
	if len(missing) > 0 {
		msgs = append(msgs, fmt.Sprintf("Missing required columns: %s.", strings.Join(missing, ", ")))
	}
	if len(msgs) > 0 {
		return nil, &RowError{Row: 1, Message: strings.Join(msgs, " ")}
	}
	return index, nil
}

// makeRow checks one record and maps its cells to columns. An all-blank
// row (spreadsheets leave them at the end) is nil without a problem.
func makeRow(n int, rec []string, index []int) (*row, *RowError) {
	rw := &row{n: n}
	var problem *RowError
	fail := func(col, msg string) {
		if problem == nil {
			problem = &RowError{Row: n, Column: col, Message: msg}
		}
		rw.broken = true
	}
	if len(rec) < len(index) || !allBlank(rec[len(index):]) {
		fail("", fmt.Sprintf("The row has %d cells but the header has %d.", len(rec), len(index)))
	}
	blank := true
	for i, cell := range rec[:min(len(rec), len(index))] {
		col := Columns[index[i]]
		switch {
		case !utf8.ValidString(cell):
			fail(col, "The text is not valid UTF-8 (the file looks like Latin-1 or Windows-1252): save it as \"CSV UTF-8\".")
			continue
		case strings.ContainsRune(cell, 0):
			fail(col, "The cell holds a NUL character.")
			continue
		}
		if index[i] != colDescription { // a description keeps its layout, for exact round trips
			cell = strings.TrimSpace(cell)
		}
		cell = unneutralize(cell)
		blank = blank && strings.TrimSpace(cell) == ""
		rw.cells[index[i]] = cell
	}
	if blank && !rw.broken {
		return nil, nil
	}
	return rw, problem
}

func allBlank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// truncate shortens s to n bytes at a rune boundary, for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
