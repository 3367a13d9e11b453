CREATE TABLE "instance_moves" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"from_node_id" text NOT NULL,
	"from_node_name" text NOT NULL,
	"to_node_id" text NOT NULL,
	"to_node_name" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"reason" text NOT NULL,
	"error" text,
	"requested_by" uuid,
	"backup_id" uuid,
	"backup_at" timestamp with time zone,
	"lost_at" timestamp with time zone,
	"rpo_seconds" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "instance_moves" ADD CONSTRAINT "instance_moves_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_moves" ADD CONSTRAINT "instance_moves_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_moves" ADD CONSTRAINT "instance_moves_backup_id_backups_id_fk" FOREIGN KEY ("backup_id") REFERENCES "public"."backups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instance_moves_instance_idx" ON "instance_moves" USING btree ("instance_id","created_at");--> statement-breakpoint
CREATE INDEX "instance_moves_from_idx" ON "instance_moves" USING btree ("from_node_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "instance_moves_live_key" ON "instance_moves" USING btree ("instance_id") WHERE "instance_moves"."status" in ('queued', 'running');