package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ask sends ApiVersions at version v on a direct connection, as a client
// of that version would.
func ask(t *testing.T, addr string, v int16, name string) *kmsg.ApiVersionsResponse {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version, req.ClientSoftwareName, req.ClientSoftwareVersion = v, name, "1"
	resp, err := request(addr, req)
	if err != nil {
		t.Fatalf("ApiVersions v%d: %v", v, err)
	}
	return resp.(*kmsg.ApiVersionsResponse)
}

// TestApiVersionsOldClients answers ApiVersions v3 as a real broker does
// (KAFKA-17492): no supported feature with minimum version 0, which clients
// before Kafka 3.9 cannot parse (KAFKA-17011), and everything else as at v4.
func TestApiVersionsOldClients(t *testing.T) {
	c, err := Start(Brokers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, addr := range c.DirectAddrs() {
		v4 := ask(t, addr, 4, "prodlab-test")
		v3 := ask(t, addr, 3, "prodlab-test")
		zero := 0
		for _, f := range v4.SupportedFeatures {
			if f.MinVersion == 0 {
				zero++
			}
		}
		if zero == 0 {
			t.Fatalf("broker %d: the v4 answer lists no feature with min version 0 (%+v): the test proves nothing", i, v4.SupportedFeatures)
		}
		for _, f := range v3.SupportedFeatures {
			if f.MinVersion < 1 {
				t.Errorf("broker %d: v3 answer lists feature %s with min version %d", i, f.Name, f.MinVersion)
			}
		}
		if got, want := len(v3.SupportedFeatures), len(v4.SupportedFeatures)-zero; got != want {
			t.Errorf("broker %d: v3 lists %d features, want the %d of v4 whose min version is above 0", i, got, want)
		}
		if v3.ErrorCode != 0 || len(v3.ApiKeys) != len(v4.ApiKeys) || len(v3.ApiKeys) == 0 {
			t.Errorf("broker %d: v3 error %d with %d API keys, v4 has %d", i, v3.ErrorCode, len(v3.ApiKeys), len(v4.ApiKeys))
		}
		for j := range v3.ApiKeys {
			a, b := v3.ApiKeys[j], v4.ApiKeys[j%len(v4.ApiKeys)]
			if a.ApiKey != b.ApiKey || a.MinVersion != b.MinVersion || a.MaxVersion != b.MaxVersion {
				t.Errorf("broker %d: v3 key %+v, v4 key %+v", i, v3.ApiKeys[j], v4.ApiKeys[j])
			}
		}
		if len(v3.FinalizedFeatures) != len(v4.FinalizedFeatures) || v3.FinalizedFeaturesEpoch != v4.FinalizedFeaturesEpoch {
			t.Errorf("broker %d: v3 finalized %+v epoch %d, v4 %+v epoch %d", i,
				v3.FinalizedFeatures, v3.FinalizedFeaturesEpoch, v4.FinalizedFeatures, v4.FinalizedFeaturesEpoch)
		}
		// Below v3 the field does not exist; a bad software name is still
		// refused at v3.
		if v2 := ask(t, addr, 2, "prodlab-test"); v2.ErrorCode != 0 || len(v2.ApiKeys) != len(v4.ApiKeys) {
			t.Errorf("broker %d: v2 error %d with %d keys", i, v2.ErrorCode, len(v2.ApiKeys))
		}
		if bad := ask(t, addr, 3, "-bad name-"); bad.ErrorCode != kerr.InvalidRequest.Code {
			t.Errorf("broker %d: v3 with a bad software name answered error %d, want INVALID_REQUEST", i, bad.ErrorCode)
		}
	}
}
