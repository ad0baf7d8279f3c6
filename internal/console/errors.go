package console

import (
	"errors"
	"net/http"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// kafkaUnavailable answers 503 for a failed read of the cluster: the body
// says what failed, the log says why (client errors name internal
// addresses).
func (s *Server) kafkaUnavailable(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, errNoKafka) {
		httpjson.Error(w, http.StatusServiceUnavailable, "", err.Error())
		return
	}
	s.cfg.logger.Warn("console: "+what, "err", err)
	httpjson.Error(w, http.StatusServiceUnavailable, "", what+": Kafka does not answer, retry later (the console's log has the cause)")
}
