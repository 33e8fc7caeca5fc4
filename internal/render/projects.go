package render

import (
	"fmt"
	"strings"

	"github.com/dockctl/dockctl/internal/usage"
)

// projectHeads are the columns of --by project, in every format.
var projectHeads = []string{"PROJECT", "CONTAINERS", "IMAGES", "VOLUMES", "NETWORKS", "SIZE", "RECLAIMABLE"}

// sharedMark follows a project's SIZE when it holds an image another
// project uses too.
const sharedMark = "*"

// projectCells are the rows of --by project, names uncleaned, then a
// Total row: IMAGES and SIZE count each image once, RECLAIMABLE is the
// full cleanup.
func projectCells(r usage.Report) [][]string {
	var rows [][]string
	var t usage.Project
	for _, p := range r.Projects {
		size := Size(p.Bytes)
		if p.SharedImages > 0 {
			size += sharedMark
		}
		rows = append(rows, []string{projectName(p), fmt.Sprintf("%d/%d running", p.ContainersRunning, p.Containers),
			fmt.Sprint(p.Images), fmt.Sprint(p.Volumes), fmt.Sprint(p.Networks), size, Size(p.ReclaimableBytes)})
		t.ContainersRunning += p.ContainersRunning
		t.Containers += p.Containers
		t.Volumes += p.Volumes
		t.Networks += p.Networks
		t.ReclaimableBytes += p.ReclaimableBytes
	}
	return append(rows, []string{"Total", fmt.Sprintf("%d/%d running", t.ContainersRunning, t.Containers), fmt.Sprint(r.Summary.Images.Total),
		fmt.Sprint(t.Volumes), fmt.Sprint(t.Networks), Size(r.ProjectsTotalBytes), Size(t.ReclaimableBytes)})
}

// projectsNote says what a project's SIZE and RECLAIMABLE count.
func projectsNote(r usage.Report) string {
	s := "SIZE: each project's containers' writable layers, its volumes and the unique bytes of the images its containers use"
	for _, p := range r.Projects {
		if p.SharedImages > 0 {
			s += "; " + sharedMark + " holds images another project uses too; each counts once in the total"
			break
		}
	}
	return s + ". RECLAIMABLE: each project's share of the full cleanup; images of several projects or of none, and the build cache, are under (no project)."
}

// projectsMarkdown is --by project as a markdown table and its note.
func projectsMarkdown(r usage.Report) string {
	var b strings.Builder
	b.WriteString(markdownRow(projectHeads) + "\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range projectCells(r) {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdCell(c)
		}
		b.WriteString(markdownRow(cells) + "\n")
	}
	b.WriteString("\n" + mdCell(projectsNote(r)) + "\n")
	return b.String()
}
