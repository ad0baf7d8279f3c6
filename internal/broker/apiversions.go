package broker

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/kafkaframe"
)

const (
	// minFeaturesVersion is the first ApiVersions version whose clients
	// accept a supported feature with minimum version 0.
	minFeaturesVersion = 4
	// askTimeout bounds each request forwarded on a direct connection.
	askTimeout = 5 * time.Second
)

// controlApiVersions answers ApiVersions v3 as a real broker does: Java
// clients before 3.9 refuse a supported feature whose minimum version is 0
// (KAFKA-17011), so a real broker lists none below v4 (KAFKA-17492), while
// kfake lists them at every version (SupportedFeatures is v3+). The answer
// is the broker's own v4 one, asked on a direct connection, less those.
func (c *Cluster) controlApiVersions() {
	kc := c.kc
	kc.ControlKey(int16(kmsg.ApiVersions), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		req := kreq.(*kmsg.ApiVersionsRequest)
		if req.Version != minFeaturesVersion-1 || !validSoftware(req.ClientSoftwareName) || !validSoftware(req.ClientSoftwareVersion) {
			return nil, nil, false // kfake's answer is right
		}
		ask := kmsg.NewPtrApiVersionsRequest()
		ask.Version, ask.ClientSoftwareName, ask.ClientSoftwareVersion = minFeaturesVersion, "prodlab", "1"
		ref, err := c.forwardAsleep(ask)
		if err != nil {
			return nil, fmt.Errorf("ApiVersions v3: %w", err), true
		}
		resp := ref.(*kmsg.ApiVersionsResponse)
		resp.Version = req.Version
		resp.SupportedFeatures = slices.DeleteFunc(resp.SupportedFeatures, func(f kmsg.ApiVersionsResponseSupportedFeature) bool {
			return f.MinVersion <= 0
		})
		return resp, nil, true
	})
}

// forwardAsleep sends req to the first direct address that answers, the
// current node's first, with the control asleep so that kfake answers it.
func (c *Cluster) forwardAsleep(req kmsg.Request) (resp kmsg.Response, err error) {
	addrs := c.DirectAddrs()
	if node := c.kc.CurrentNode(); node > 0 && int(node) < len(addrs) {
		addrs[0], addrs[node] = addrs[node], addrs[0]
	}
	c.kc.SleepControl(func() {
		errs := []error{errors.New("no broker address")}
		for _, a := range addrs {
			if resp, err = request(a, req); err == nil {
				return
			}
			errs = append(errs, err)
		}
		err = errors.Join(errs...)
	})
	return resp, err
}

// request sends req on a new connection to addr and reads its response.
func request(addr string, req kmsg.Request) (kmsg.Response, error) {
	conn, err := net.DialTimeout("tcp", addr, askTimeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(askTimeout)); err != nil {
		return nil, err
	}
	const corr = 1
	if _, err := conn.Write(kmsg.NewRequestFormatter(kmsg.FormatterClientID("prodlab")).AppendRequest(nil, req, corr)); err != nil {
		return nil, err
	}
	buf, err := kafkaframe.Read(conn, nil, 1<<20)
	if err != nil {
		return nil, err
	}
	got, body, ok := kafkaframe.ResponseBody(req.Key(), req.GetVersion(), buf[4:])
	switch {
	case !ok:
		return nil, fmt.Errorf("answer of %d bytes with a bad header", len(buf)-4)
	case got != corr:
		return nil, fmt.Errorf("answer has correlation id %d", got)
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(body); err != nil {
		return nil, err
	}
	return resp, nil
}

// validSoftware is the broker's check of the client software name and version.
var validSoftware = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`).MatchString
