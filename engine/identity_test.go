package engine

import (
	"strings"
	"testing"
)

// Valkey keeps redis_version at the Redis it forked from, and says what it is in server_name and
// valkey_version: the report must name Valkey and its own version.
func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		info                        string
		server, version, compatible string
		err                         string
	}{
		{"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n", "redis", "7.0.15", "", ""},
		{"# Server\r\nredis_version:8.0.2\r\n", "redis", "8.0.2", "", ""},
		{"# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.1\r\nserver_mode:standalone\r\n", "valkey", "8.1.1", "7.2.4", ""},
		{"# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\n", "", "", "", "no valkey_version"},
		{"# Server\r\nredis_version:7.2.4\r\nserver_name:keydb\r\n", "", "", "", `server_name "keydb" is neither Redis nor Valkey`},
		{"# Server\r\nredis_mode:standalone\r\n", "", "", "", "no redis_version"},
	} {
		server, version, compatible, err := identify(tc.info)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("identify(%q) = %v, want an error with %q", tc.info, err, tc.err)
			}
		case err != nil || server != tc.server || version != tc.version || compatible != tc.compatible:
			t.Errorf("identify(%q) = %q %q %q %v, want %q %q %q", tc.info, server, version, compatible, err, tc.server, tc.version, tc.compatible)
		}
	}
}
