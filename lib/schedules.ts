import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface SchedulesProps {
  inventory: lambda.IFunction;
  janitor: lambda.IFunction;
  jobSweeper: lambda.IFunction;
  /** A `rate(...)` or `cron(...)` expression. */
  inventorySchedule: string;
}

/**
 * Regenerates every vault's inventory on the configured schedule (Glacier does it about once a day); purges idle multipart uploads
 * and runs due deferred deletions every hour; completes due retrieval jobs every minute.
 */
export class Schedules extends Construct {
  readonly inventory: events.Rule;
  readonly hourlyJanitor: events.Rule;
  readonly minuteJobSweeper: events.Rule;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.inventory = new events.Rule(this, 'Inventory', {
      description: 'Regenerates the inventory of every vault',
      schedule: events.Schedule.expression(props.inventorySchedule),
      targets: [new targets.LambdaFunction(props.inventory, { retryAttempts: 2 })],
    });
    this.hourlyJanitor = new events.Rule(this, 'HourlyJanitor', {
      description: 'Removes idle multipart uploads and their part objects, and runs the deferred deletions that are due',
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new targets.LambdaFunction(props.janitor, { retryAttempts: 2 })],
    });
    this.minuteJobSweeper = new events.Rule(this, 'MinuteJobSweeper', {
      description: 'Completes the retrieval jobs whose time has come',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // The next minute's run does the same work.
      targets: [new targets.LambdaFunction(props.jobSweeper, { retryAttempts: 0 })],
    });
    for (const rule of [this.inventory, this.hourlyJanitor, this.minuteJobSweeper]) {
      NagSuppressions.addResourceSuppressions(rule, [
        {
          id: 'Serverless-EventBusDLQ',
          reason: 'Each run does all the work due: an invocation EventBridge could not deliver is made up by the next run of the schedule.',
        },
      ]);
    }
  }
}
