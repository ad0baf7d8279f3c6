//go:build cgo

package librdkafka

import (
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/prodlab/prodlab"
)

// clientConfig maps the client settings p to librdkafka's own names: those
// of both producers (security, client.id) and those of the plain producer
// only (max.in.flight: the idempotent producer keeps librdkafka's 5, which
// preserves order). It refuses what librdkafka cannot honour here, naming
// the key. bootstrap.servers is not among them: cfg.Bootstrap holds it.
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
