package mail_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test SMTP server got it.
type received struct {
	From, To      string // envelope
	Header        mail.Header
	Subject       string // decoded
	Text, HTML    string // decoded bodies
	Authenticated string // the AUTH PLAIN user, if any
}

// smtpServer is a real SMTP server (emersion/go-smtp) on a loopback port
// that records what it receives.
type smtpServer struct {
	Addr     string
	User     string // when set, AUTH PLAIN with User/Pass is required
	Pass     string
	Failures atomic.Int32 // the next N DATA commands fail with 451
	Got      chan received

	mu  sync.Mutex // protects all
	all []received
}

// serverOpts choose the server's TLS: "" (plain), "starttls" or "tls".
func startSMTP(t *testing.T, mode string, user, pass string) (*smtpServer, *tls.Config) {
	t.Helper()
	s := &smtpServer{User: user, Pass: pass, Got: make(chan received, 1000)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback only
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = nopLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var client *tls.Config
	if mode != "" {
		cert, roots := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		client = &tls.Config{RootCAs: roots}
		if mode == "tls" {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	s.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		l.Close() // in case Serve had not registered l yet when Close ran
		<-done
	})
	return s, client
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.all...)
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

type smtpSession struct {
	srv      *smtpServer
	user     string
	from, to string
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.srv.User || pass != ss.srv.Pass {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.User != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = to
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.srv.Failures.Add(-1) >= 0 {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.srv.Failures.Store(0)
	m, err := parseMessage(raw)
	if err != nil {
		return err
	}
	m.From, m.To, m.Authenticated = ss.from, ss.to, ss.user
	ss.srv.mu.Lock()
	ss.srv.all = append(ss.srv.all, m)
	ss.srv.mu.Unlock()
	ss.srv.Got <- m
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", "" }
func (ss *smtpSession) Logout() error { return nil }

// parseMessage decodes what a mail client would show.
func parseMessage(raw []byte) (received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return received{}, err
	}
	var m received
	m.Header = msg.Header
	m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return received{}, err
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return received{}, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		m.Text = string(b)
		return m, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable itself
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return received{}, err
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return received{}, err
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			m.HTML = string(b)
		} else {
			m.Text = string(b)
		}
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
