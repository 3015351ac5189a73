import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

/** Requires HTTP Basic credentials from USERS (the plugin's WebServiceUsername/WebServicePassword). */
@Injectable()
export class BasicAuthGuard extends AuthGuard('basic') {}
