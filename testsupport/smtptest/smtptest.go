// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// a loopback port for the length of a test and keeps what it receives, so
// that e-mail is tested through a real SMTP conversation, not a fake
// channel.
package smtptest

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	// Data is the message as transmitted (headers and MIME body).
	Data []byte
	// User is who authenticated (SMTP AUTH PLAIN); empty without auth.
	User string
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
}

// Start listens on 127.0.0.1 and serves until the test ends. With a
// username, mail is accepted only after AUTH PLAIN with that username and
// password (allowed in clear: the connection stays on loopback).
func Start(t testing.TB, username, password string) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s := &Server{Username: username, Password: password, arrived: make(chan struct{}, 1024)}
	host, port, _ := net.SplitHostPort(l.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return s
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait returns once n messages have arrived, or fails the test after
// timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("smtptest: %d messages after %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

type session struct {
	srv  *Server
	user string
	msg  Message
}

var errAuthRequired = smtp.ErrAuthRequired

// AuthMechanisms implements smtp.AuthSession.
func (s *session) AuthMechanisms() []string {
	if s.srv.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth implements smtp.AuthSession.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.Username || password != s.srv.Password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.Username != "" && s.user == "" {
		return errAuthRequired
	}
	s.msg = Message{From: from, User: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.msg.To) == 0 {
		return errors.New("no recipient")
	}
	s.msg.Data = b
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, s.msg)
	s.srv.mu.Unlock()
	select {
	case s.srv.arrived <- struct{}{}:
	default:
	}
	s.msg = Message{User: s.user}
	return nil
}

func (s *session) Reset()        { s.msg = Message{User: s.user} }
func (s *session) Logout() error { return nil }
