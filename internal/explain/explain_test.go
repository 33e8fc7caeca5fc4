package explain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		key  string
		want string // Command of the entry; "" for not found
	}{
		{"docker rmi", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"docker rmi [OPTIONS] IMAGE [IMAGE...]", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"docker rmi IMAGE [IMAGE...]", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"`docker rmi [OPTIONS] IMAGE [IMAGE...]`", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"  Docker   RMI ", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"DOCKER RMI", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"docker rmi abc123 def456", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"docker image rm", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"rmi", "docker rmi [OPTIONS] IMAGE [IMAGE...]"},
		{"docker system df", "docker system df"},
		{"system df", "docker system df"},
		{"docker system df -v", "docker system df -v"},
		{"docker system df --verbose", "docker system df -v"},
		{"docker system prune", "docker system prune [OPTIONS]"},
		{"docker system prune -af --volumes", "docker system prune [OPTIONS]"},
		{"docker image prune", "docker image prune [OPTIONS]"},
		{"image prune -a", "docker image prune [OPTIONS]"},
		{"docker ps", "docker ps [OPTIONS]"},
		{"docker ps -a", "docker ps -a"},
		{"docker container ls --all", "docker ps -a"},
		{"docker network rm", "docker network rm NETWORK [NETWORK...]"},
		{"docker build [OPTIONS] PATH | URL | -", "docker build [OPTIONS] PATH | URL | -"},
		{"docker inspect NAME|ID", "docker inspect [OPTIONS] NAME|ID [NAME|ID...]"},
		{"docker history", "docker history [OPTIONS] IMAGE"},
		{"docker image history", "docker history [OPTIONS] IMAGE"},
		{"df", "df"},
		{"df -h /var/lib/docker", "df"},
		{"crontab", "crontab"},
		{"ps", "ps"}, // the Linux ps: Linux names win when "docker" is left out
		{"ps aux", "ps"},
		{"404", "HTTP 404 Not Found"},
		{"HTTP 404", "HTTP 404 Not Found"},
		{"http 404 not found", "HTTP 404 Not Found"},
		{"409", "HTTP 409 Conflict"},
		{"tcp", "TCP three-way handshake (SYN, SYN+ACK, ACK)"},
		{"connection refused", "TCP three-way handshake (SYN, SYN+ACK, ACK)"},
		{"", ""},
		{"docker", ""},
		{"docker frobnicate", ""},
		{"docker volume rmx", ""},
		{"418", ""},
		{"prune", ""}, // an operation, not a command: see ForOperation
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			e, ok := Lookup(tt.key)
			if ok != (tt.want != "") || e.Command != tt.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tt.key, e.Command, ok, tt.want)
			}
		})
	}
}

func TestEveryEntryFoundByItsKeyAndCommand(t *testing.T) {
	for _, e := range All() {
		t.Run(e.Command, func(t *testing.T) {
			for _, k := range []string{e.Key, e.Command, displayCommand(e.Command)} {
				got, ok := Lookup(k)
				if !ok || got.Command != e.Command {
					t.Errorf("Lookup(%q) = %q, %v", k, got.Command, ok)
				}
			}
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		code                 int
		command, zh, en, src string
	}{
		{404, "HTTP 404 Not Found", "服务器找不到请求的网页或资源。", "the server cannot find the requested page or resource", SourceDocument},
		{403, "HTTP 403 Forbidden", "服务器理解请求但拒绝执行。无权限", "the server understood the request but refuses to carry it out; no permission", SourceDocument},
		{304, "HTTP 304 Not Modified", "资源未被修改，可以使用缓存版本。", "the resource has not been modified; the cached version can be used", SourceDocument},
		{504, "HTTP 504 Gateway Timeout", "作为网关或代理角色的服务器，未能及时从上游服务器获得响应", "the server, acting as a gateway or proxy, did not get a response from the upstream server in time", SourceDocument},
		{409, "HTTP 409 Conflict", "资源冲突：对象正被使用或已存在", "conflict: the object is in use or already exists", SourceDockctl},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			e, ok := HTTPStatus(tt.code)
			if !ok || e.Command != tt.command || e.ZH != tt.zh || e.EN != tt.en || e.Source != tt.src || e.Code != tt.code {
				t.Errorf("HTTPStatus(%d) = %+v, %v", tt.code, e, ok)
			}
		})
	}
	for _, code := range []int{0, 406, 418, 999} {
		if e, ok := HTTPStatus(code); ok {
			t.Errorf("HTTPStatus(%d) = %+v, want none", code, e)
		}
	}
}

func commands(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Key
	}
	return out
}

func TestForOperation(t *testing.T) {
	tests := []struct {
		op   string
		want []string
	}{
		{"inspect images", []string{"docker images"}},
		{"inspect containers", []string{"docker ps -a"}},
		{"inspect volumes", []string{"docker volume ls"}},
		{"inspect networks", []string{"docker network ls"}},
		{"inspect buildcache", []string{"docker system df -v"}},
		{"inspect build-cache", []string{"docker system df -v"}},
		{"inspect layers", []string{"docker image inspect", "docker history"}},
		{"inspect", []string{"docker images", "docker ps -a", "docker volume ls", "docker network ls", "docker system df -v", "docker image inspect", "docker history"}},
		{"report", []string{"docker system df"}},
		{"report host", []string{"df", "du"}},
		{"prune", []string{"docker system prune"}},
		{"prune containers", []string{"docker container prune", "docker rm"}},
		{"prune images", []string{"docker image prune", "docker rmi"}},
		{"prune volumes", []string{"docker volume prune", "docker volume rm"}},
		{"prune networks", []string{"docker network prune", "docker network rm"}},
		{"prune buildcache", []string{"docker builder prune"}},
		{"version", []string{"docker version", "docker info"}},
		{"schedule", []string{"crontab"}},
		{"dockctl  Prune   Images", []string{"docker image prune", "docker rmi"}},
		{"prune image", []string{"docker image prune", "docker rmi"}},
		{"", nil},
		{"explain", nil},
		{"prune everything", nil},
		{"docker rmi", nil},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			got := commands(ForOperation(tt.op))
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ForOperation(%q) = %q, want %q", tt.op, got, tt.want)
			}
		})
	}
	// Every operation listed resolves to at least one entry.
	for _, op := range Operations() {
		if len(ForOperation(op)) == 0 {
			t.Errorf("operation %q has no commands", op)
		}
	}
}

func TestForOperationReturnsCopies(t *testing.T) {
	es := ForOperation("prune")
	es[0].ZH = "changed"
	if ForOperation("prune")[0].ZH == "changed" {
		t.Error("ForOperation shares its slice with the catalogue")
	}
	gs := Groups()
	gs[0].Entries[0].ZH = "changed"
	if Groups()[0].Entries[0].ZH == "changed" {
		t.Error("Groups shares its entries with the catalogue")
	}
}

func TestLine(t *testing.T) {
	rmi, _ := Lookup("docker rmi")
	status, _ := HTTPStatus(404)
	df, _ := Lookup("df")
	tests := []struct {
		name string
		e    Entry
		lang string
		want string
	}{
		{"rmi both", rmi, "both", "≈ docker rmi IMAGE [IMAGE...] — 移除一个或多个镜像 (remove one or more images)"},
		{"rmi zh", rmi, "zh", "≈ docker rmi IMAGE [IMAGE...] — 移除一个或多个镜像"},
		{"rmi en", rmi, "en", "≈ docker rmi IMAGE [IMAGE...] — remove one or more images"},
		{"rmi unknown lang", rmi, "fr", "≈ docker rmi IMAGE [IMAGE...] — remove one or more images"},
		{"404 both", status, "both", "HTTP 404 Not Found — 服务器找不到请求的网页或资源。 (the server cannot find the requested page or resource)"},
		{"404 zh", status, "zh", "HTTP 404 Not Found — 服务器找不到请求的网页或资源。"},
		{"404 en", status, "en", "HTTP 404 Not Found — the server cannot find the requested page or resource"},
		{"df both", df, "both", "≈ df — 显示磁盘空间使用情况 (show disk space usage)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Line(tt.lang); got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
	if got, want := status.Text("both"), "服务器找不到请求的网页或资源。 (the server cannot find the requested page or resource)"; got != want {
		t.Errorf("Text(both) = %q, want %q", got, want)
	}
}

func TestGroups(t *testing.T) {
	var got []string
	for _, g := range Groups() {
		got = append(got, g.Section+"/"+g.ZH+"/"+g.Source)
		if len(g.Entries) == 0 {
			t.Errorf("group %q is empty", g.EN)
		}
		for _, e := range g.Entries {
			if e.Section != g.Section || e.Source != g.Source {
				t.Errorf("%q: section %s source %s in group %s/%s", e.Command, e.Section, e.Source, g.Section, g.Source)
			}
		}
	}
	want := []string{
		"docker/镜像操作/document", "docker/容器操作/document", "docker/日志与信息查看/document",
		"docker/网络相关/document", "docker/卷管理/document", "docker/系统范围的操作/document",
		"docker/dockctl补充的命令/dockctl",
		"Linux/常用命令/document",
		"HTTP/信息响应/document", "HTTP/成功响应/document", "HTTP/重定向/document",
		"HTTP/客户端错误/document", "HTTP/服务器错误/document", "HTTP/dockctl补充的状态码/dockctl",
		"TCP/三次握手/dockctl",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	g := Groups()[0]
	for lang, want := range map[string]string{
		"en":   "docker · Image operations",
		"zh":   "docker · 镜像操作",
		"both": "docker · 镜像操作 (Image operations)",
	} {
		if got := g.Title(lang); got != want {
			t.Errorf("Title(%q) = %q, want %q", lang, got, want)
		}
	}
}

func TestEntryJSON(t *testing.T) {
	rmi, _ := Lookup("docker rmi")
	b, err := json.Marshal(rmi)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"command":"docker rmi [OPTIONS] IMAGE [IMAGE...]","zh":"移除一个或多个镜像","en":"remove one or more images","source":"document"}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	sp, _ := Lookup("docker system prune")
	b, _ = json.Marshal(sp)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["completed"] != true || m["original"] != "清理未使" || m["source"] != "document" {
		t.Errorf("docker system prune JSON = %s, want completed, original 清理未使, source document", b)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		topic string
		want  []string // keys
	}{
		{"prune", []string{"docker system prune"}},
		{"prune images", []string{"docker image prune", "docker rmi"}},
		{"dockctl prune volumes", []string{"docker volume prune", "docker volume rm"}},
		{"report", []string{"docker system df"}},
		{"version", []string{"docker version", "docker info"}},
		{"inspect containers", []string{"docker ps -a"}},
		{"docker volume prune", []string{"docker volume prune"}},
		{"docker rmi", []string{"docker rmi"}},
		{"rmi", []string{"docker rmi"}},
		{"df", []string{"df"}},
		{"404", []string{"http 404"}},
		{"HTTP 409", []string{"http 409"}},
		{"tcp", []string{"tcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			got, err := Resolve(tt.topic)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(commands(got), ",") != strings.Join(tt.want, ",") {
				t.Errorf("Resolve(%q) = %q, want %q", tt.topic, commands(got), tt.want)
			}
		})
	}
	all, err := Resolve("  ")
	if err != nil || len(all) != len(All()) {
		t.Errorf("Resolve(\"\") = %d entries, %v; want all %d", len(all), err, len(All()))
	}
}

func TestResolveUnknown(t *testing.T) {
	tests := []struct {
		topic, msg string
	}{
		{"prun", `invalid topic "prun": unknown topic; did you mean "prune", "docker system prune", "docker image prune"?`},
		{"rmii", `invalid topic "rmii": unknown topic; did you mean "docker rmi"?`},
		{"docker vlume prune", `invalid topic "docker vlume prune": unknown topic; did you mean "docker volume prune", "docker image prune", "docker volume create"?`},
		{"docker net", `invalid topic "docker net": unknown topic; did you mean "docker network ls", "docker network create", "docker network connect"?`},
		{"prune imagess", `invalid topic "prune imagess": unknown topic; did you mean "prune images"?`},
		{"crontabs", `invalid topic "crontabs": unknown topic; did you mean "crontab"?`},
		{"4044", `invalid topic "4044": unknown topic; did you mean "404"?`},
		{"418", `invalid topic "418": no explanation for HTTP status 418; explained: 100, 101, 200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 409, 429, 500, 501, 502, 503, 504`},
		{"xyzzy", `invalid topic "xyzzy": unknown topic; run "dockctl explain" to list every topic`},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			got, err := Resolve(tt.topic)
			if err == nil {
				t.Fatalf("Resolve(%q) = %q, want an error", tt.topic, commands(got))
			}
			var te *TopicError
			if !errors.As(err, &te) || te.Topic != tt.topic {
				t.Fatalf("error %T %+v, want *TopicError for topic %q", err, err, tt.topic)
			}
			if err.Error() != tt.msg {
				t.Errorf("message\n got %s\nwant %s", err, tt.msg)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"prun", "prune", 1}, {"kitten", "sitting", 3}, {"镜像", "镜象", 1}, {"abc", "", 3},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLoadRejectsBadCatalogues(t *testing.T) {
	tests := map[string]string{
		"not json":        `{`,
		"duplicate key":   `{"groups":[{"section":"docker","entries":[{"command":"docker rmi","zh":"a","en":"a","source":"document"},{"command":"docker rmi IMAGE","zh":"b","en":"b","source":"document"}]}]}`,
		"bad source":      `{"groups":[{"section":"docker","entries":[{"command":"docker rmi","zh":"a","en":"a","source":"blog"}]}]}`,
		"no translation":  `{"groups":[{"section":"docker","entries":[{"command":"docker rmi","zh":"a","source":"document"}]}]}`,
		"duplicate code":  `{"groups":[{"section":"HTTP","entries":[{"code":404,"reason":"Not Found","zh":"a","en":"a","source":"document"},{"code":404,"reason":"Not Found","zh":"a","en":"a","source":"document"}]}]}`,
		"unknown command": `{"groups":[],"operations":[{"name":"prune","commands":["docker system prune"]}]}`,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := load([]byte(data)); err == nil {
				t.Error("load accepted it")
			}
		})
	}
}
