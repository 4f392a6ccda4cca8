/* placeholder until the app lands */
int main(void);
int main(void)
{
	return 1;
}
