package grader

import (
	"reflect"
	"testing"

	"github.com/redisgrade/redisgrade/engine"
)

// TestReportEngineCarriesEveryField: the report's engine type is its own,
// and a field added to engine.Info must be carried into it too.
func TestReportEngineCarriesEveryField(t *testing.T) {
	in := engine.Info{Kind: "docker", Server: "valkey", Version: "8.1.1", Compatible: "7.2.4", Image: "redis:7", Emulator: true, Note: "a note"}
	iv, gv := reflect.ValueOf(in), reflect.ValueOf(ReportEngine(in))
	if iv.NumField() != gv.NumField() {
		t.Fatalf("engine.Info has %d fields, report.Engine %d", iv.NumField(), gv.NumField())
	}
	for i := range iv.NumField() {
		name := iv.Type().Field(i).Name
		if iv.Field(i).IsZero() {
			t.Fatalf("set engine.Info.%s in this test", name)
		}
		if g := gv.FieldByName(name); !g.IsValid() || !reflect.DeepEqual(g.Interface(), iv.Field(i).Interface()) {
			t.Errorf("report.Engine.%s = %v, want %v", name, g, iv.Field(i))
		}
	}
}
