package prodlab

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"github.com/prodlab/prodlab/internal/i18n"
	"io"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ErrClientProp wraps every refused client setting; the message names the key.
var ErrClientProp = errors.New("client setting")

// Redacted replaces a secret wherever it would be printed.
const Redacted = "[redacted]"

// Secret is a password, token or JAAS config: it prints (Format, for
// every verb), logs and marshals as Redacted; string(s) reveals it.
type Secret string

func (s Secret) String() string                { return Redacted }
func (s Secret) LogValue() slog.Value          { return slog.StringValue(Redacted) }
func (s Secret) MarshalText() ([]byte, error)  { return []byte(Redacted), nil }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, Redacted) }

// clientKey describes one client setting prodlab understands.
type clientKey struct {
	secret bool
	check  func(v string) error
}

// clientKeys lists the Kafka client settings prodlab accepts, under the
// Java client's names. Each engine maps them to its own (internal/franz,
// internal/librdkafka); any other key is refused.
var clientKeys = map[string]clientKey{
	"bootstrap.servers":                     {check: nonEmpty},
	"security.protocol":                     {check: oneOf("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")},
	"sasl.mechanism":                        {check: oneOf("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")},
	"sasl.username":                         {check: nonEmpty},
	"sasl.password":                         {secret: true, check: nonEmpty},
	"sasl.jaas.config":                      {secret: true, check: nonEmpty},
	"sasl.oauthbearer.token":                {secret: true, check: nonEmpty},
	"ssl.ca.location":                       {check: nonEmpty},
	"ssl.truststore.location":               {check: nonEmpty},
	"ssl.truststore.type":                   {check: oneOf("PEM")},
	"ssl.certificate.location":              {check: nonEmpty},
	"ssl.key.location":                      {check: nonEmpty},
	"ssl.endpoint.identification.algorithm": {check: oneOf("https", "", "none")},
	"client.id":                             {check: nonEmpty},
	"max.in.flight.requests.per.connection": {check: intIn(1, 1000000)},
	"connections.max.idle.ms":               {check: intIn(100, 900000)},
}

// canonical returns key trimmed, under its Java name: librdkafka's
// spellings (kcat's -X) are aliases.
func canonical(key string) string {
	key = strings.TrimSpace(key)
	if key == "sasl.mechanisms" {
		return "sasl.mechanism"
	}
	return key
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return i18n.Errorf("setting.empty")
	}
	return nil
}

func oneOf(allowed ...string) func(string) error {
	return func(v string) error {
		if slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(v, a) }) {
			return nil
		}
		return i18n.Errorf("setting.oneOf", "value", strconv.Quote(v), "allowed", strings.Join(allowed, ", "))
	}
}

func intIn(lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return i18n.Errorf("setting.intIn", "value", strconv.Quote(v), "lo", lo, "hi", hi)
		}
		return nil
	}
}

// ClientProps holds Kafka client settings as users write them (kcat's -X,
// the Java client's client.properties); the zero value holds none
// (plaintext). Printed, logged or marshalled, it redacts the secrets.
type ClientProps struct {
	m map[string]string
}

// Set checks key and value and stores them; a later Set of the same key
// wins. The error names the key, never a secret's value.
func (p *ClientProps) Set(key, value string) error {
	key = canonical(key)
	k, ok := clientKeys[key]
	if !ok {
		keys := strings.Join(slices.Sorted(maps.Keys(clientKeys)), ", ")
		if !settingName(key) {
			// A mistyped line may carry a secret: name no part of it.
			return &i18n.Error{Msg: i18n.M("setting.notAKey", "keys", keys), Err: ErrClientProp}
		}
		return &i18n.Error{Msg: i18n.M("setting.unknownKey", "key", key, "keys", keys), Err: ErrClientProp}
	}
	value = strings.TrimSpace(value)
	if err := k.check(value); err != nil {
		if k.secret {
			return &i18n.Error{Msg: i18n.M("setting.keyEmpty", "key", key), Err: ErrClientProp}
		}
		return &i18n.Error{Msg: i18n.M("setting.bad", "key", key, "err", err), Err: ErrClientProp}
	}
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[key] = value
	return nil
}

// settingName matches a key spelt as a Kafka setting name: lower-case
// words joined by dots, such as acks or sasl.kerberos.service.name.
var settingName = regexp.MustCompile(`^[a-z0-9._-]{1,100}$`).MatchString

// RedactPair returns a -X "key=value" as it may be printed: the value of a
// secret, of an unknown key or of a pair without "=" becomes Redacted.
func RedactPair(kv string) string {
	k, _, ok := strings.Cut(kv, "=")
	if !ok {
		return Redacted
	}
	key := canonical(k)
	if ck, known := clientKeys[key]; !known || ck.secret {
		if !settingName(key) {
			return Redacted
		}
		return k + "=" + Redacted
	}
	return kv
}

// SetPair parses each "key=value", as given to -X, in order, and stops at
// the first error. A pair without "=" is quoted in the error only if it is
// a known key: it may be a secret.
func (p *ClientProps) SetPair(kvs ...string) error {
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			k = strings.TrimSpace(k)
			if _, known := clientKeys[k]; known {
				return &i18n.Error{Msg: i18n.M("setting.useKV", "key", k), Err: ErrClientProp}
			}
			return &i18n.Error{Msg: i18n.M("setting.notKV"), Err: ErrClientProp}
		}
		if err := p.Set(k, v); err != nil {
			return err
		}
	}
	return nil
}

// ReadFile reads a client.properties file (see ParseProperties).
func (p *ClientProps) ReadFile(name string) error {
	f, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return &i18n.Error{Msg: i18n.M("setting.file.missing", "file", name), Err: err}
	} else if err != nil {
		return err
	}
	defer f.Close()
	return p.ParseProperties(f, name)
}

// ParseProperties reads settings in the Java .properties format: # and !
// comments, key=value, key: value or key value, backslash escapes
// (\t \n \r \f \uXXXX, \= \: \\), and lines continued by a trailing
// backslash. Errors name the source and line.
func (p *ClientProps) ParseProperties(r io.Reader, source string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		at := n
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continued(line) && sc.Scan() {
			n++
			line = line[:len(line)-1] + strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		}
		key, value, err := splitProperty(line)
		if err == nil {
			err = p.Set(key, value)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", source, at, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	return nil
}

// continued reports whether line ends with an odd number of backslashes.
func continued(line string) bool {
	return (len(line)-len(strings.TrimRight(line, `\`)))%2 == 1
}

// splitProperty splits a logical line into its unescaped key and value.
func splitProperty(line string) (key, value string, err error) {
	end := len(line)
	for i := 0; i < len(line) && end == len(line); i++ {
		if line[i] == '\\' {
			i++
		} else if strings.IndexByte("=: \t\f", line[i]) >= 0 {
			end = i
		}
	}
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	if key, err = unescape(line[:end]); err != nil {
		return "", "", err
	}
	if value, err = unescape(rest); err != nil {
		return "", "", &i18n.Error{Msg: i18n.M("setting.bad", "key", key, "err", err), Err: ErrClientProp}
	}
	return key, value, nil
}

// unescape resolves \t \n \r \f and \uXXXX; a backslash before any other
// character stands for that character.
func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch j := strings.IndexByte("tnrf", s[i]); {
		case j >= 0:
			b.WriteByte("\t\n\r\f"[j])
		case s[i] == 'u':
			r, err := strconv.ParseUint(s[i+1:min(i+5, len(s))], 16, 16)
			if err != nil || i+5 > len(s) {
				return "", i18n.Errorf("setting.escape")
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// With returns a copy of p with key set to value, as Set checks it; p
// stays as it is. ssl.ca.location replaces ssl.truststore.location, its
// Java spelling.
func (p ClientProps) With(key, value string) (ClientProps, error) {
	c := ClientProps{m: maps.Clone(p.m)}
	if key == "ssl.ca.location" {
		delete(c.m, "ssl.truststore.location")
	}
	err := c.Set(key, value)
	return c, err
}

// String lists the settings as key=value, sorted, secrets redacted.
func (p ClientProps) String() string {
	keys := slices.Sorted(maps.Keys(p.m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := p.m[k]
		if clientKeys[k].secret {
			v = Redacted
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, " ")
}

// GoString, LogValue and MarshalText redact as String does.
func (p ClientProps) GoString() string             { return strconv.Quote(p.String()) }
func (p ClientProps) LogValue() slog.Value         { return slog.StringValue(p.String()) }
func (p ClientProps) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Security is the checked meaning of ClientProps for a connection.
type Security struct {
	// Protocol is PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL.
	Protocol string
	// Mechanism is PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER
	// when Protocol uses SASL, else empty.
	Mechanism string
	// Username and Password authenticate PLAIN and SCRAM, from
	// sasl.username/sasl.password or sasl.jaas.config.
	Username string
	Password Secret
	// Token is OAUTHBEARER's static token (sasl.oauthbearer.token).
	Token Secret
	// CAFile is the PEM file of trusted CAs (ssl.ca.location or
	// ssl.truststore.location); empty: the system's roots.
	CAFile string
	// CertFile and KeyFile are the client's PEM certificate and key for
	// mutual TLS, both or neither.
	CertFile, KeyFile string
	// VerifyHostname checks the broker's certificate against the host
	// dialled (ssl.endpoint.identification.algorithm=https, the default).
	VerifyHostname bool
	// ClientID is client.id; empty: the engine's own.
	ClientID string
	// MaxInFlight is max.in.flight.requests.per.connection for the plain
	// producer; 0: the engine's default (the idempotent ones keep 5).
	MaxInFlight int
	// Bootstrap is bootstrap.servers split on commas; nil when unset.
	Bootstrap []string
}

// TLS reports whether connections use TLS.
func (s Security) TLS() bool { return s.Protocol == "SSL" || s.Protocol == "SASL_SSL" }

// SASL reports whether connections authenticate with SASL.
func (s Security) SASL() bool { return s.Protocol == "SASL_PLAINTEXT" || s.Protocol == "SASL_SSL" }

// Security checks the settings together and returns their meaning. Each
// error names the key at fault; none shows a secret.
func (p ClientProps) Security() (Security, error) {
	alg, set := p.m["ssl.endpoint.identification.algorithm"]
	s := Security{
		Protocol:       cmp.Or(strings.ToUpper(p.m["security.protocol"]), "PLAINTEXT"),
		Mechanism:      strings.ToUpper(p.m["sasl.mechanism"]),
		Username:       p.m["sasl.username"],
		Password:       Secret(p.m["sasl.password"]),
		Token:          Secret(p.m["sasl.oauthbearer.token"]),
		CAFile:         p.m["ssl.ca.location"],
		CertFile:       p.m["ssl.certificate.location"],
		KeyFile:        p.m["ssl.key.location"],
		VerifyHostname: !set || strings.EqualFold(alg, "https"),
		ClientID:       p.m["client.id"],
		Bootstrap:      SplitList(p.m["bootstrap.servers"]),
	}
	s.MaxInFlight, _ = strconv.Atoi(p.m["max.in.flight.requests.per.connection"]) // 0 when unset
	var errs []error
	bad := func(key string, why any) {
		errs = append(errs, &i18n.Error{Msg: i18n.M("setting.bad", "key", key, "err", why), Err: ErrClientProp})
	}
	if ts, ok := p.m["ssl.truststore.location"]; ok {
		if s.CAFile != "" {
			bad("ssl.truststore.location", i18n.T("setting.both"))
		}
		s.CAFile = ts
	}
	for _, k := range []string{"sasl.mechanism", "sasl.username", "sasl.password", "sasl.jaas.config", "sasl.oauthbearer.token"} {
		if _, ok := p.m[k]; ok && !s.SASL() {
			bad(k, i18n.T("setting.needsSASL", "protocol", s.Protocol))
		}
	}
	for _, k := range []string{"ssl.ca.location", "ssl.truststore.location", "ssl.truststore.type", "ssl.certificate.location", "ssl.key.location", "ssl.endpoint.identification.algorithm"} {
		if _, ok := p.m[k]; ok && !s.TLS() {
			bad(k, i18n.T("setting.needsTLS", "protocol", s.Protocol))
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		bad("ssl.key.location", i18n.T("setting.certKey"))
	}
	for _, f := range []struct{ key, path string }{{"ssl.ca.location", s.CAFile}, {"ssl.certificate.location", s.CertFile}, {"ssl.key.location", s.KeyFile}} {
		if _, err := os.Stat(f.path); f.path != "" && err != nil {
			bad(f.key, err)
		}
	}
	if s.SASL() {
		if jaas, ok := p.m["sasl.jaas.config"]; ok {
			if err := s.applyJAAS(jaas); err != nil {
				bad("sasl.jaas.config", err)
			}
		}
		switch s.Mechanism {
		case "":
			bad("sasl.mechanism", i18n.T("setting.noMechanism", "protocol", s.Protocol))
		case "OAUTHBEARER":
			if s.Token == "" {
				bad("sasl.oauthbearer.token", i18n.T("setting.needToken"))
			}
			if s.Username != "" || s.Password != "" {
				bad("sasl.username", i18n.T("setting.oauthNoUser"))
			}
		default:
			if s.Username == "" {
				bad("sasl.username", i18n.T("setting.required", "mechanism", s.Mechanism))
			}
			if s.Password == "" {
				bad("sasl.password", i18n.T("setting.required", "mechanism", s.Mechanism))
			}
			if s.Token != "" {
				bad("sasl.oauthbearer.token", i18n.T("setting.tokenOnly"))
			}
		}
	}
	return s, errors.Join(errs...)
}

// jaasModules maps the login modules applyJAAS reads to their mechanisms.
var jaasModules = map[string][]string{
	"org.apache.kafka.common.security.plain.PlainLoginModule": {"PLAIN"},
	"org.apache.kafka.common.security.scram.ScramLoginModule": {"SCRAM-SHA-256", "SCRAM-SHA-512"},
}

// applyJAAS reads the username and password of a Plain or Scram
// LoginModule entry (sasl.jaas.config). Its errors name a word by its
// position, never quoting the entry, which holds the password.
func (s *Security) applyJAAS(jaas string) error {
	fields, err := jaasFields(jaas)
	if err != nil {
		return err
	}
	if len(fields) < 2 {
		return i18n.Errorf("jaas.shape")
	}
	module, flag := fields[0], fields[1]
	if !strings.EqualFold(flag, "required") {
		return i18n.Errorf("jaas.flag")
	}
	want, ok := jaasModules[module]
	if !ok {
		return i18n.Errorf("jaas.module", "modules", strings.Join(slices.Sorted(maps.Keys(jaasModules)), ", "))
	}
	if s.Mechanism != "" && !slices.Contains(want, s.Mechanism) {
		return i18n.Errorf("jaas.mismatch", "module", module[strings.LastIndexByte(module, '.')+1:], "mechanism", s.Mechanism)
	}
	for i, kv := range fields[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return i18n.Errorf("jaas.notKV", "n", i+3)
		}
		switch k {
		case "username":
			if s.Username != "" && s.Username != v {
				return i18n.Errorf("jaas.userDiffers")
			}
			s.Username = v
		case "password":
			if s.Password != "" && string(s.Password) != v {
				return i18n.Errorf("jaas.passwordDiffers")
			}
			s.Password = Secret(v)
		default:
			return i18n.Errorf("jaas.option", "n", i+3)
		}
	}
	return nil
}

// jaasWord matches one word of a JAAS entry, unquoted characters and
// "..." runs in which a backslash escapes the next character; a lone " or
// ; is an error. jaasQuoted and jaasEscaped unquote a word.
var (
	jaasWord    = regexp.MustCompile(`(?s)(?:[^ \t\n\r";]|"(?:[^"\\]|\\.)*")+|[";]`)
	jaasQuoted  = regexp.MustCompile(`(?s)"((?:[^"\\]|\\.)*)"`)
	jaasEscaped = regexp.MustCompile(`(?s)\\(.)`)
)

// jaasFields splits one JAAS entry into its words and key=value options,
// unquoting "..." values; the entry must end with ';'.
func jaasFields(s string) ([]string, error) {
	s, ok := strings.CutSuffix(strings.TrimSpace(s), ";")
	if !ok {
		return nil, i18n.Errorf("jaas.semicolon")
	}
	words := jaasWord.FindAllString(strings.TrimSpace(s), -1)
	for i, w := range words {
		switch w {
		case `"`:
			return nil, i18n.Errorf("jaas.unclosed")
		case ";":
			return nil, i18n.Errorf("jaas.oneEntry")
		}
		words[i] = jaasQuoted.ReplaceAllStringFunc(w, func(q string) string {
			return jaasEscaped.ReplaceAllString(q[1:len(q)-1], "$1")
		})
	}
	return words, nil
}
