package waf

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"testing"
)

// TestACatalogFileIsNotAnAttack: the admin's CSV import (issue 16) uploads
// a catalog whose descriptions are rich text (HTML) and whose words may
// read like SQL; the file is data for the import's own checks, not a
// request to the firewall's rules.
func TestACatalogFileIsNotAnAttack(t *testing.T) {
	block, _ := firewalls(t)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "products.csv")
	fw.Write([]byte("\ufeffhandle,name,description,brand,status,featured,categories,sku,variant_name,option1_name,option1_value,option2_name,option2_value,price,currency,stock,images\n" +
		"linen-shirt,Linen Shirt,\"<p>Soft <strong>linen</strong>, <a href=\"\"/pages/care\"\">care</a>.</p><script>x</script>\",Acme,active,true,Clothing > Men,LS-1,S,Size,S,,,49.90,EUR,3,\n" +
		"union-select,Union Select Table,\"Select from our union of tables; drop in: 1=1 or 'a'='a'\",Acme,,,,US-1,,,,,,10.00,EUR,1,\n"))
	mw.WriteField("update_only", "1")
	mw.Close()
	r := httptest.NewRequest("POST", "/admin/imports", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if v := block.Inspect(r, "x"); v.Block {
		t.Fatalf("a catalog CSV upload was blocked: %+v", v)
	}
}
