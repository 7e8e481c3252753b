package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server names, as Info.Server holds them.
const (
	ServerRedis     = "redis"
	ServerValkey    = "valkey"
	ServerMiniredis = "miniredis" // the embedded engine's emulator

	// emulatedRedis is the Redis version the emulator is made to answer as: its command table and Lua come
	// from redis-server 7.0 (redis7_commands.go).
	emulatedRedis = "7.0"
)

// identify reads which server an INFO server reply comes from, and its version. Valkey says so in
// server_name and valkey_version, and keeps redis_version at the Redis release it stays compatible with
// (7.2.4); Redis has neither field. compatible is that Redis version for a server that is not Redis.
func identify(info string) (server, version, compatible string, err error) {
	fields := map[string]string{}
	for line := range strings.Lines(info) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	redisVersion := fields["redis_version"]
	switch name := fields["server_name"]; name {
	case "", ServerRedis:
		if redisVersion == "" {
			return "", "", "", errors.New("info server: no redis_version")
		}
		return ServerRedis, redisVersion, "", nil
	case ServerValkey:
		if fields["valkey_version"] == "" {
			return "", "", "", errors.New("info server: server_name is valkey, but there is no valkey_version")
		}
		return ServerValkey, fields["valkey_version"], redisVersion, nil
	default:
		return "", "", "", fmt.Errorf("info server: server_name %q is neither Redis nor Valkey", name)
	}
}

// serverInfo describes a real server (process or docker) from its own INFO server: which server, which
// version. The process and docker engines both build their Info here.
func serverInfo(ctx context.Context, c *redis.Client, timeout time.Duration, kind string) (Info, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	text, err := c.Info(ctx, "server").Result()
	if err != nil {
		return Info{}, fmt.Errorf("info server: %w", err)
	}
	server, version, compatible, err := identify(text)
	if err != nil {
		return Info{}, err
	}
	return Info{Kind: kind, Server: server, Version: version, Compatible: compatible}, nil
}
