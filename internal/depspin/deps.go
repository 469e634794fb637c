// Package depspin keeps modules that work in progress is about to use in
// go.mod; it goes away when they are imported for real.
package depspin

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/emersion/go-smtp"
	_ "golang.org/x/crypto/argon2"
)
