package media

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"agora/internal/fault"
)

// formResult is what the server side of a ReadForm test saw.
type formResult struct {
	data []byte
	err  error
	read int64 // bytes of the request body the handler consumed
}

// countingBody counts what is read through it.
type countingBody struct {
	io.ReadCloser
	n *int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	*c.n += int64(n)
	return n, err
}

func formServer(t *testing.T, lim Limits) (string, <-chan formResult) {
	t.Helper()
	results := make(chan formResult, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res formResult
		r.Body = countingBody{r.Body, &res.read}
		res.data, res.err = ReadForm(w, r, "file", lim)
		if res.err != nil {
			http.Error(w, fault.MessageOf(res.err), fault.Status(fault.CodeOf(res.err)))
		}
		results <- res
	}))
	t.Cleanup(srv.Close)
	return srv.URL, results
}

func TestReadForm(t *testing.T) {
	t.Parallel()
	picture := jpegOf(t, photo(64, 48))
	tests := []struct {
		name     string
		body     func(mw *multipart.Writer)
		ctype    string // overrides the form's
		want     []byte
		wantCode fault.Code
	}{
		{"the file among other fields", func(mw *multipart.Writer) {
			mw.WriteField("alt", "A red chair")
			fw, _ := mw.CreateFormFile("file", "chair.jpg")
			fw.Write(picture)
		}, "", picture, ""},
		{"no file field", func(mw *multipart.Writer) { mw.WriteField("alt", "x") }, "", nil, fault.Invalid},
		{"not multipart", func(mw *multipart.Writer) {}, "application/json", nil, fault.Invalid},
		{"file over the limit", func(mw *multipart.Writer) {
			fw, _ := mw.CreateFormFile("file", "big.jpg")
			fw.Write(make([]byte, 2<<20))
		}, "", nil, fault.TooLarge},
	}
	url, results := formServer(t, Limits{MaxBytes: 1 << 20})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			tt.body(mw)
			mw.Close()
			ct := mw.FormDataContentType()
			if tt.ctype != "" {
				ct = tt.ctype
			}
			resp, err := http.Post(url, ct, &body)
			if err == nil {
				resp.Body.Close()
			}
			res := <-results
			var code fault.Code
			if res.err != nil {
				code = fault.CodeOf(res.err)
			}
			if code != tt.wantCode || !bytes.Equal(res.data, tt.want) {
				t.Fatalf("ReadForm = %d bytes, %v; want %d bytes, %q", len(res.data), res.err, len(tt.want), tt.wantCode)
			}
			if tt.wantCode != "" && fault.FieldOf(res.err) != "file" {
				t.Errorf("error %v is not about the field file", res.err)
			}
		})
	}
}

// A 50 MB upload is refused after reading about the limit, not 50 MB.
func TestReadFormStopsA50MBUploadEarly(t *testing.T) {
	t.Parallel()
	url, results := formServer(t, Limits{})
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", "huge.jpg")
		chunk := bytes.Repeat([]byte{0xff}, 1<<20)
		var err error
		for i := 0; i < 50 && err == nil; i++ {
			_, err = fw.Write(chunk)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	resp, err := http.Post(url, mw.FormDataContentType(), pr)
	if err == nil { // the server may answer 413 before the client has sent everything
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
		resp.Body.Close()
	}
	pr.CloseWithError(io.ErrClosedPipe) // stop the writer if the client gave up
	res := <-results
	if fault.CodeOf(res.err) != fault.TooLarge || !strings.Contains(fault.MessageOf(res.err), "20 MB") {
		t.Fatalf("ReadForm = %v; want too_large naming 20 MB", res.err)
	}
	if res.read > 21<<20 {
		t.Errorf("the handler read %d bytes of a 50 MB upload; want about 20 MB", res.read)
	}
}
