package service

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseUnitTemplate(t *testing.T) {
	text := strings.ReplaceAll(readFile(t, filepath.Join("dist", "ipvsadm.service.in")), "@LIBEXECDIR@", "/libexec")
	p := filepath.Join(t.TempDir(), "ipvsadm.service")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := ParseUnit(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Settings["Type"]; got != "oneshot" {
		t.Errorf("Type=%q, want oneshot", got)
	}
	if got := u.Settings["RemainAfterExit"]; got != "yes" {
		t.Errorf("RemainAfterExit=%q, want yes", got)
	}
	if want := []string{"IPVSADM_LAYOUT=@LAYOUT@"}; !reflect.DeepEqual(u.Env, want) {
		t.Errorf("Env=%q, want %q", u.Env, want)
	}
	for key, verb := range map[string]string{"ExecStart": "start", "ExecStop": "stop", "ExecReload": "reload"} {
		want := [][]string{{"/libexec/ipvsadm-service", verb}}
		if got := u.Exec[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
}

func TestParseUnitSyntax(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		env        []string
		exec       [][]string
		bad        bool
	}{
		{name: "quoted env", text: "[Service]\nEnvironment=A=1 \"B=two words\"  C=3\nExecStart=/x a  b\n",
			env: []string{"A=1", "B=two words", "C=3"}, exec: [][]string{{"/x", "a", "b"}}},
		{name: "other sections ignored", text: "[Unit]\nExecStart=nope\n[Service]\n# c\n; c\nExecStart=/y\n",
			exec: [][]string{{"/y"}}},
		{name: "prefix", text: "[Service]\nExecStart=-/x\n", bad: true},
		{name: "quoting", text: "[Service]\nExecStart=/x \"a b\"\n", bad: true},
		{name: "empty", text: "[Service]\nExecStart=\n", bad: true},
		{name: "unterminated", text: "[Service]\nEnvironment=\"A=1\n", bad: true},
		{name: "not an assignment", text: "[Service]\nEnvironment=A\n", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.service")
			if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			u, err := ParseUnit(p)
			if tc.bad {
				if err == nil {
					t.Fatalf("no error; got %+v", u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(u.Env, tc.env) {
				t.Errorf("Env=%q, want %q", u.Env, tc.env)
			}
			if got := u.Exec["ExecStart"]; !reflect.DeepEqual(got, tc.exec) {
				t.Errorf("ExecStart=%q, want %q", got, tc.exec)
			}
		})
	}
}
