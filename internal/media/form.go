package media

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"agora/internal/fault"
)

// ReadForm reads the upload in the multipart field of r (POST
// /api/v1/admin/media uses "file") and returns its bytes for Upload. The
// part's file name and Content-Type are ignored: Upload sniffs the format and
// computes the key. The body is read as a stream and refused with
// fault.TooLarge as soon as it passes lim.MaxBytes (plus room for the form's
// other fields), so a 50 MB upload costs at most that much reading and
// memory. w is used only by http.MaxBytesReader to close the connection of
// an oversized request.
func ReadForm(w http.ResponseWriter, r *http.Request, field string, lim Limits) ([]byte, error) {
	const formOverhead = 64 << 10 // boundaries, headers and small fields
	r.Body = http.MaxBytesReader(w, r.Body, lim.maxBytes()+formOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fault.Field(field, "Send the image as multipart/form-data in the field %q.", field)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, fault.Field(field, "No file was sent in the field %q.", field)
		}
		if err != nil {
			return nil, formError(field, err, lim)
		}
		if part.FormName() != field {
			part.Close()
			continue
		}
		data, err := readPart(part, lim.maxBytes())
		part.Close()
		if err != nil {
			return nil, formError(field, err, lim)
		}
		return data, nil
	}
}

var errPartTooLarge = errors.New("part too large")

// readPart reads a part up to max bytes, failing beyond.
func readPart(p *multipart.Part, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(p, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errPartTooLarge
	}
	return data, nil
}

func formError(field string, err error, lim Limits) error {
	var mbe *http.MaxBytesError
	if errors.Is(err, errPartTooLarge) || errors.As(err, &mbe) {
		e := fault.New(fault.TooLarge, "The file is too large: images of at most %s are accepted.", sizeText(lim.maxBytes()))
		e.Field = field
		return e
	}
	return fault.Field(field, "The upload was interrupted or is not a valid form: please send it again.")
}
