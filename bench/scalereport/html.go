package scalereport

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Scaling study: {{.Name}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th{background:#f3f3f3}
td:last-child{text-align:left}
.warn{color:#8a4b00}
figure{display:inline-block;margin:.5rem}
img{max-width:100%;border:1px solid #ddd}
code{background:#f5f5f5;padding:0 .2rem}
</style></head><body>
<h1>Scaling study: {{.Name}} ({{.S.Mode}} scaling)</h1>
<p>Command: <code>{{.Command}}</code></p>
<p>{{.Time}} {{.Baseline}}</p>
{{if .S.Study.Interrupted}}<p><strong>The study was interrupted; these are its finished runs.</strong></p>{{end}}
<table>
<tr>{{range index .Rows 0}}<th>{{.}}</th>{{end}}</tr>
{{range slice .Rows 1}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p>Medians of {{.S.Study.Repeat}} runs per point with distribution-free 95&nbsp;% intervals; * marks an interval short of 95&nbsp;% (fewer than 6 runs), † an oversubscribed point.</p>
{{if .Fits}}<h2>Fits</h2><ul>{{range .Fits}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .S.Warnings}}<h2>Warnings</h2><ul>{{range .S.Warnings}}<li class="warn">{{.}}</li>{{end}}</ul>{{end}}
<h2>Plots</h2>
{{range .Plots}}<figure><img alt="{{.Title}}" src="{{.Src}}"><figcaption>{{.Title}}</figcaption></figure>
{{end}}
<h2>Provenance</h2>
<table>{{range .Prov}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
</body></html>
`))

type htmlPlot struct {
	Title string
	Src   template.URL
}

// WriteHTML writes report.html: one self-contained page with the table,
// fits, warnings, provenance, and the plots inline as PNG data URLs.
func WriteHTML(w io.Writer, s *Summary, plots []Plot) error {
	var hp []htmlPlot
	for _, p := range plots {
		hp = append(hp, htmlPlot{Title: p.Title, Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(p.PNG))})
	}
	cmd := ""
	for i, a := range s.Provenance.CommandLine {
		if i > 0 {
			cmd += " "
		}
		cmd += a
	}
	err := page.Execute(w, map[string]any{
		"Name": baseName(s.Study.Program), "S": s, "Command": cmd, "Time": timeLine(s), "Baseline": baselineLine(s),
		"Rows": table(s), "Fits": fitLines(s), "Plots": hp, "Prov": provenanceRows(s),
	})
	if err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	return nil
}
