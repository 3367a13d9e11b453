DROP INDEX "custom_domains_domain_key";--> statement-breakpoint
CREATE UNIQUE INDEX "custom_domains_verified_domain_key" ON "custom_domains" USING btree ("domain") WHERE "custom_domains"."verified_at" IS NOT NULL AND "custom_domains"."status" <> 'failed';--> statement-breakpoint
CREATE UNIQUE INDEX "custom_domains_tenant_domain_key" ON "custom_domains" USING btree ("tenant_id","domain");--> statement-breakpoint
CREATE INDEX "custom_domains_domain_idx" ON "custom_domains" USING btree ("domain");