package media

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// openS3 opens an s3:// bucket. Without user info, s3blob's own opener takes
// credentials from the usual AWS chain (environment, shared files, instance
// roles). With user info, s3://ACCESS_KEY:SECRET@bucket?…, those credentials
// are used for this bucket alone: an operator can hand one process one URL
// (from a secret, in AGORA_MEDIA), and tests running in parallel against
// separate S3 servers need no process-wide environment. The secret must be
// URL-escaped (AWS secrets often hold "/" and "+").
func openS3(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	if u.User == nil {
		return blob.OpenBucket(ctx, u.String())
	}
	access := u.User.Username()
	secret, ok := u.User.Password()
	if access == "" || !ok || secret == "" {
		return nil, errors.New("credentials in an s3 URL must be ACCESS_KEY:SECRET@ (URL-escaped)")
	}
	q := u.Query()
	var s3opts []func(*s3.Options)
	var bopts s3blob.Options
	// The parameters s3blob.URLOpener reads itself (gocloud.dev v0.47); the
	// rest are the generic AWS ones, read by V2ConfigFromURLParams below.
	for _, name := range []string{"use_path_style", "s3ForcePathStyle", "disable_https", "accelerate"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		q.Del(name)
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("invalid value for %q: %v", name, err)
		}
		switch name {
		case "use_path_style", "s3ForcePathStyle":
			s3opts = append(s3opts, func(o *s3.Options) { o.UsePathStyle = on })
		case "disable_https":
			s3opts = append(s3opts, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
		case "accelerate":
			s3opts = append(s3opts, func(o *s3.Options) { o.UseAccelerate = on })
		}
	}
	if v := q.Get("ssetype"); v != "" {
		q.Del("ssetype")
		bopts.EncryptionType = types.ServerSideEncryption(v)
	}
	if v := q.Get("kmskeyid"); v != "" {
		q.Del("kmskeyid")
		bopts.KMSEncryptionID = v
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: access, SecretAccessKey: secret, Source: "media URL"}, nil
	}))
	bopts.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	return s3blob.OpenBucket(ctx, s3.NewFromConfig(cfg, s3opts...), u.Host, &bopts)
}
