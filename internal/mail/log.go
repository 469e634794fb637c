package mail

import (
	"context"
	"log/slog"
)

// LogSender "sends" by logging: the embedded default, so a fresh store runs
// without a mail server. Bodies may hold a password reset link, so they are
// logged only when Bodies is set (development).
type LogSender struct {
	Log    *slog.Logger // if nil, slog.Default()
	Bodies bool
}

// Send logs m at info level.
func (l *LogSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	attrs := []slog.Attr{slog.String("to", m.To), slog.String("subject", m.Subject)}
	if l.Bodies {
		attrs = append(attrs, slog.String("body", m.Text))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "mail: logged instead of sent", attrs...)
	return nil
}
