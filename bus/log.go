package bus

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/segmentio/kafka-go"
)

// kafkaLogger adapts kafka-go's printf-style logger to slog. kafka-go's "info" output is a
// line per fetch/commit/rebalance step, so it goes to Debug; its error logger goes to Warn
// because kafka-go retries most of what it reports there.
func kafkaLogger(l *slog.Logger, level slog.Level, component string) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		if !l.Enabled(context.Background(), level) {
			return
		}
		l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", component)
	})
}
