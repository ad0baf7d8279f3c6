//go:build cgo

package librdkafka

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/prodlab/prodlab"
)

// clientConfig maps the client settings p to librdkafka's: both producers',
// and the plain one's max.in.flight (the idempotent one keeps 5, which
// preserves order). It refuses what librdkafka cannot honour.
func clientConfig(p prodlab.ClientProps) (common, plain kafka.ConfigMap, err error) {
	s, err := p.Security()
	if err != nil {
		return nil, nil, err
	}
	common, plain = kafka.ConfigMap{}, kafka.ConfigMap{}
	if s.Protocol != "PLAINTEXT" {
		common["security.protocol"] = s.Protocol
	}
	if s.SASL() {
		if s.Mechanism == "OAUTHBEARER" {
			return nil, nil, fmt.Errorf("%w sasl.mechanism: the librdkafka engine takes no static OAUTHBEARER token (sasl.oauthbearer.token); use the franz engine", prodlab.ErrClientProp)
		}
		common["sasl.mechanisms"] = s.Mechanism
		common["sasl.username"] = s.Username
		common["sasl.password"] = string(s.Password)
	}
	if s.TLS() {
		if s.CAFile != "" {
			common["ssl.ca.location"] = s.CAFile // PEM, as librdkafka reads it
		}
		if s.CertFile != "" {
			common["ssl.certificate.location"] = s.CertFile
			common["ssl.key.location"] = s.KeyFile
		}
		common["ssl.endpoint.identification.algorithm"] = "https"
		if !s.VerifyHostname {
			common["ssl.endpoint.identification.algorithm"] = "none"
		}
	}
	if s.ClientID != "" {
		common["client.id"] = s.ClientID
	}
	if s.MaxInFlight > 0 {
		plain["max.in.flight.requests.per.connection"] = s.MaxInFlight
	}
	return common, plain, nil
}

// authMemory bounds how long an authentication or TLS error explains
// later timeouts.
const authMemory = 5 * time.Minute

// authErrors remembers a producer's last authentication or TLS error:
// librdkafka retries those connections and fails each record only with
// "Message timed out", so explain adds the cause to the record's error.
type authErrors struct {
	mu   sync.Mutex
	last kafka.Error
	at   time.Time
}

// note keeps e if it is an authentication or TLS error.
func (a *authErrors) note(e kafka.Error) {
	if e.Code() != kafka.ErrAuthentication && e.Code() != kafka.ErrSsl {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last, a.at = e, time.Now()
}

// explain adds the last authentication or TLS error, if recent, to a
// record that timed out.
func (a *authErrors) explain(d prodlab.Delivery) prodlab.Delivery {
	// errors.AsType: errors.As would move ke to the heap on every delivery.
	if ke, ok := errors.AsType[kafka.Error](d.Err); !ok || ke.Code() != kafka.ErrMsgTimedOut {
		return d
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if ago := time.Since(a.at); !a.at.IsZero() && ago < authMemory {
		d.Err = fmt.Errorf("%w (last connection error, %s ago: %v)", d.Err, ago.Round(time.Second), a.last)
	}
	return d
}
