CREATE TYPE "public"."instance_status" AS ENUM('pending', 'provisioning', 'running', 'stopped', 'failed', 'deleting', 'deleted');--> statement-breakpoint
CREATE TABLE "instance_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"from_status" "instance_status",
	"to_status" "instance_status" NOT NULL,
	"actor_id" uuid,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"version" text NOT NULL,
	"image" text NOT NULL,
	"status" "instance_status" DEFAULT 'pending' NOT NULL,
	"desired_state" text DEFAULT 'running' NOT NULL,
	"limits" jsonb NOT NULL,
	"slot" integer NOT NULL,
	"db_password" text NOT NULL,
	"master_password" text NOT NULL,
	"pending_admin_password" text,
	"provision_path" text,
	"progress" jsonb,
	"last_error" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ready_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "odoo_templates" (
	"version" text PRIMARY KEY NOT NULL,
	"image" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"built_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "odoo_versions" (
	"version" text PRIMARY KEY NOT NULL,
	"image" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconcile_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "workflow_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"status" text NOT NULL,
	"done_steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"current_step" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"max_instances" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"cpu_millis" integer NOT NULL,
	"pids" integer NOT NULL,
	"storage_gb" integer NOT NULL,
	"workers" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- The default plan every tenant starts on; admins edit limits or add plans later.
INSERT INTO "plans" ("code", "name", "max_instances", "memory_mb", "cpu_millis", "pids", "storage_gb", "workers")
VALUES ('starter', 'Starter', 3, 1024, 1000, 512, 10, 2) ON CONFLICT DO NOTHING;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "plan_code" text DEFAULT 'starter' NOT NULL;--> statement-breakpoint
ALTER TABLE "instance_events" ADD CONSTRAINT "instance_events_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_version_odoo_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."odoo_versions"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "odoo_templates" ADD CONSTRAINT "odoo_templates_version_odoo_versions_version_fk" FOREIGN KEY ("version") REFERENCES "public"."odoo_versions"("version") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instance_events_instance_idx" ON "instance_events" USING btree ("instance_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_slug_live_key" ON "instances" USING btree ("slug") WHERE "instances"."status" <> 'deleted';--> statement-breakpoint
CREATE UNIQUE INDEX "instances_slot_live_key" ON "instances" USING btree ("slot") WHERE "instances"."status" <> 'deleted';--> statement-breakpoint
CREATE INDEX "instances_tenant_idx" ON "instances" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "workflow_runs_subject_idx" ON "workflow_runs" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_runs_live_key" ON "workflow_runs" USING btree ("kind","subject_id") WHERE "workflow_runs"."status" in ('running', 'compensating');--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_plan_code_plans_code_fk" FOREIGN KEY ("plan_code") REFERENCES "public"."plans"("code") ON DELETE no action ON UPDATE no action;