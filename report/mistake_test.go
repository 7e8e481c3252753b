package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// sampleMistake is sample() with its failing step recognised as a known
// mistake whose feedback holds a terminal escape and markup, as a spec
// could.
func sampleMistake() *Report {
	r := sample()
	r.Steps[1].Mistake = &Mistake{ID: "values-returned-in-the-wrong-order", Name: "values returned in the wrong order",
		Feedback: "Return {stock, sales}: \x1b[31mstock <b>first</b>."}
	return r
}

// Every format says the known mistake in the failing step's own output,
// and nowhere else; the terminal formats show its escape as text.
func TestMistakeInEveryFormat(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var out string
			if format == "classroom" {
				_, res := classroomResultOf(t, sampleMistake())
				data, _ := json.Marshal(res)
				out = string(data)
			} else {
				out = string(render(t, format, sampleMistake()))
			}
			want := "This looks like a known mistake: values returned in the wrong order."
			if format == "json" {
				want = `"mistake": {
        "id": "values-returned-in-the-wrong-order",`
			}
			if !strings.Contains(out, want) {
				t.Fatalf("no %q in:\n%s", want, out)
			}
			if n := strings.Count(out, "values returned in the wrong order"); n != 1 {
				t.Errorf("the mistake is named %d times, want once (its step's output only):\n%s", n, out)
			}
			if format == "text" || format == "tap" {
				if strings.Contains(out, "\x1b") {
					t.Errorf("a raw escape reached the terminal:\n%q", out)
				}
			}
			if plain := string(render(t, format, sample())); format != "classroom" && strings.Contains(plain, "known mistake") {
				t.Errorf("a report without a mistake names one:\n%s", plain)
			}
		})
	}
}

func TestMistakeText(t *testing.T) {
	got := MistakeText(&Mistake{Name: "numkeys 1.", Feedback: " Use 0 keys.\n"})
	if want := "This looks like a known mistake: numkeys 1. Use 0 keys."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got := MistakeText(&Mistake{Name: "numkeys 1"}); got != "This looks like a known mistake: numkeys 1." {
		t.Errorf("without feedback: %q", got)
	}
}
