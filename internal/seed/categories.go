package seed

import (
	"context"
	"fmt"
	"strings"

	"agora/internal/catalog"
)

// node is one category of the planned tree. A product filed under it takes
// its nouns from leaf, or from a leaf of group (or of dept) when the node is
// a collection or the tree was cut above the taxonomy's leaves.
type node struct {
	name     string
	parent   *node
	children int
	dept     *department
	group    *group
	leaf     *leaf
	id       int64
}

// planTree chooses n categories (at least 1) from the taxonomy: a few
// departments, then categories and subcategories added round-robin so every
// department grows evenly, then collections when the taxonomy runs out.
// Parents always come before their children.
func planTree(n int) []*node {
	depts := departments()
	var nodes []*node
	add := func(nd *node) bool {
		if len(nodes) >= n {
			return false
		}
		if nd.parent != nil {
			nd.parent.children++
		}
		nodes = append(nodes, nd)
		return true
	}
	var deptNodes, groupNodes []*node
	for _, d := range depts[:max(1, min(n/4, len(depts)))] {
		nd := &node{name: d.name, dept: d}
		add(nd)
		deptNodes = append(deptNodes, nd)
	}
	nextLeaf := map[*node]int{}
	for round := 0; len(nodes) < n; round++ {
		grew := false
		for _, dn := range deptNodes {
			if round < len(dn.dept.groups) {
				g := dn.dept.groups[round]
				nd := &node{name: g.name, parent: dn, dept: dn.dept, group: g}
				if add(nd) {
					groupNodes = append(groupNodes, nd)
					grew = true
				}
			}
		}
		for _, gn := range groupNodes {
			if i := nextLeaf[gn]; i < len(gn.group.leaves) {
				l := gn.group.leaves[i]
				nextLeaf[gn] = i + 1
				grew = add(&node{name: l.name, parent: gn, dept: gn.dept, group: gn.group, leaf: l}) || grew
			}
		}
		if !grew {
			break
		}
	}
	for _, c := range collections {
		for _, gn := range groupNodes {
			add(&node{name: c, parent: gn, dept: gn.dept, group: gn.group})
		}
	}
	return nodes
}

// createCategories writes the planned tree and returns its leaves, the
// categories products are filed under.
func createCategories(ctx context.Context, cat *catalog.Catalog, nodes []*node) ([]*node, error) {
	used := map[string]bool{}
	positions := map[*node]int{}
	var leaves []*node
	for _, nd := range nodes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		nc := catalog.NewCategory{
			Slug:        uniqueSlug(used, nd),
			Name:        nd.name,
			Description: categoryDescription(nd),
			Position:    positions[nd.parent],
		}
		positions[nd.parent]++
		if nd.parent != nil {
			nc.ParentID = nd.parent.id
		}
		c, err := cat.CreateCategory(ctx, nc)
		if err != nil {
			return nil, fmt.Errorf("seed: category %q: %w", nd.name, err)
		}
		nd.id = c.ID
		if nd.children == 0 {
			leaves = append(leaves, nd)
		}
	}
	return leaves, nil
}

// uniqueSlug names a category by itself, or with its ancestors' names when
// another category already has the name ("men-jeans", "women-jeans").
func uniqueSlug(used map[string]bool, nd *node) string {
	name := nd.name
	for p := nd.parent; ; p = p.parent {
		if s := catalog.Slugify(name); !used[s] {
			used[s] = true
			return s
		}
		if p == nil {
			break
		}
		name = p.name + " " + name
	}
	for i := 2; ; i++ {
		if s := catalog.Slugify(fmt.Sprintf("%s %d", name, i)); !used[s] {
			used[s] = true
			return s
		}
	}
}

func categoryDescription(nd *node) string {
	switch {
	case nd.leaf != nil:
		return fmt.Sprintf("%s: %s and more, chosen for quality and value.", nd.name, strings.Join(nd.leaf.nouns, ", "))
	case nd.group != nil && nd.parent != nil && nd.parent.group != nil:
		return fmt.Sprintf("%s in %s: a rotating selection from across the range.", nd.name, nd.parent.name)
	case nd.group != nil:
		return fmt.Sprintf("Everything %s in %s, from everyday basics to favourites.", strings.ToLower(nd.name), nd.dept.name)
	default:
		return fmt.Sprintf("Shop %s: new arrivals, bestsellers and essentials.", nd.name)
	}
}
