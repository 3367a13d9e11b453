ALTER TABLE "instances" ADD COLUMN "node_id" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "node_address" text;