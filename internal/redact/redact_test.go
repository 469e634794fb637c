package redact_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"agora/internal/redact"
)

func TestURLHidesEveryFormOfPassword(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://agora:hunter2@db:5432/shop", "postgres://agora:xxxxx@db:5432/shop"},
		{"postgres://agora@db/shop?password=hunter2&sslmode=require", "postgres://agora@db/shop?password=xxxxx&sslmode=require"},
		{"postgres://agora@db/shop?sslpassword=hunter2", "postgres://agora@db/shop?sslpassword=xxxxx"},
		{"postgresql://db/shop?PassWord=hunter2", "postgresql://db/shop?PassWord=xxxxx"},
		{"host=db port=5432 user=agora password=hunter2 dbname=shop", "host=db port=5432 user=agora password=xxxxx dbname=shop"},
		{"host=db password = 'hun ter\\'2' dbname=shop", "host=db password=xxxxx dbname=shop"},
		{"host=db password='hunter2", redact.Unparsable}, // unterminated quote
		{"s3://AKIA:hunter2@media?endpoint=http://s3:9000&region=x", "s3://AKIA:xxxxx@media?endpoint=http://s3:9000&region=x"},
		{"smtp://shop:hunter2@mail.example:587?from=a@b.c", "smtp://shop:xxxxx@mail.example:587?from=a@b.c"},
		{"postgres://agora:hunter2@db/shop#hunter2", "postgres://agora:xxxxx@db/shop#xxxxx"},
		{"postgres://agora:hun ter2@db/shop", redact.Unparsable}, // url.Parse refuses it
		{"postgres://db/shop?password=%zz", redact.Unparsable},
		{"postgres://agora@db/shop", "postgres://agora@db/shop"},
		{"sqlite:./agora-data/agora.db", "sqlite:./agora-data/agora.db"},
		{"log", "log"},
		{"", ""},
	}
	for _, c := range cases {
		got := redact.URL(c.in)
		if got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "hun ter") {
			t.Errorf("URL(%q) = %q still holds the password", c.in, got)
		}
	}
}

func TestErrDropsTheAddressOfAURLError(t *testing.T) {
	_, err := url.Parse("smtp://shop:hun ter2@mail.example")
	if !strings.Contains(err.Error(), "hun ter2") {
		t.Fatalf("url.Parse no longer repeats the URL (%v): this test needs another example", err)
	}
	if got := redact.Err(err); strings.Contains(got.Error(), "hun ter2") {
		t.Errorf("Err(%v) = %v", err, got)
	}
	other := errors.New("plain")
	if redact.Err(other) != other {
		t.Errorf("Err changed an error that is not a *url.Error")
	}
}
